#!/usr/bin/env bash
# vm-assets.sh OUTDIR: everything the real-kernel VM suite (test/vm) needs, from Debian's apt only.
#
#   OUTDIR/vmlinuz           the Debian kernel (bzImage)
#   OUTDIR/vmlinux           the ELF kernel extracted from it (PVH boot skips ~4 s of XZ decompression
#                            under TCG); absent when extraction failed, the harness then boots vmlinuz
#   OUTDIR/lib/modules/VER/  its modules, with modules.dep from `depmod -b`
#   OUTDIR/kernel-version    VER
#   OUTDIR/.stamp            written last: its content (the package name) makes the next run a no-op
#   OUTDIR/userland/         Debian's iptables (nft and legacy) and ipset with their shared
#                            libraries, unpacked (the bench runs kube-proxy's IPVS mode in the VM, which
#                            executes iptables-restore and ipset); userland/.stamp lists the packages
#
# qemu-system-x86_64 is installed (no recommends) only when missing. The kernel package is not
# installed: `apt-get download` + `dpkg-deb -x` take seconds, while installing linux-image-amd64 spends
# a minute and a half building a host initrd nobody uses. Idempotent; safe to re-run.
set -euo pipefail

out=${1:?usage: vm-assets.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

log() { echo "vm-assets: $*" >&2; }

apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		# A fresh machine may never have fetched the package lists.
		apt-get update -qq
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

need_pkgs=()
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
command -v depmod >/dev/null || need_pkgs+=(kmod)
command -v xz >/dev/null || need_pkgs+=(xz-utils)
if [ ${#need_pkgs[@]} -gt 0 ]; then
	log "installing ${need_pkgs[*]}"
	apt_install "${need_pkgs[@]}"
fi

# The guest userland for kube-proxy's IPVS mode, which executes iptables, iptables-save,
# iptables-restore and ipset: the packages and their shared libraries (Depends, closed by hand:
# bookworm's iptables, ipset and what they link), unpacked
# with dpkg-deb, no maintainer scripts. The alternatives links (iptables -> xtables-nft-multi) that
# update-alternatives would make are written here. Its own stamp, so a kernel that is up to date
# does not skip it.
userland_pkgs="libc6 netbase iptables libip4tc2 libip6tc2 libxtables12 libmnl0 libnetfilter-conntrack3 libnfnetlink0 libnftnl11 ipset libipset13"
fetch_userland() {
	local dir="$out/userland"
	if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$userland_pkgs" ]; then
		return 0
	fi
	log "fetching the guest userland: $userland_pkgs"
	local uw
	uw=$(mktemp -d)
	chmod 755 "$uw"
	# shellcheck disable=SC2086 # the list is words on purpose
	if ! (cd "$uw" && apt-get download $userland_pkgs >/dev/null); then
		apt-get update -qq
		# shellcheck disable=SC2086
		(cd "$uw" && apt-get download $userland_pkgs >/dev/null)
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	for deb in "$uw"/*.deb; do
		dpkg-deb -x "$deb" "$dir"
	done
	# Documentation and glibc's charset converters: nothing in the guest reads them.
	rm -rf "$uw" "$dir/usr/share" "$dir/usr/lib/x86_64-linux-gnu/gconv"
	local t
	for t in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
		ln -sf xtables-nft-multi "$dir/usr/sbin/$t"
	done
	echo "$userland_pkgs" >"$dir/.stamp"
	log "guest userland ready in $dir"
}
fetch_userland

# The concrete kernel package the meta package points at (e.g. linux-image-6.1.0-NN-amd64).
resolve_kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
pkg=$(resolve_kernel_pkg || true)
if [ -z "$pkg" ]; then
	apt-get update -qq
	apt_updated=1
	pkg=$(resolve_kernel_pkg || true)
fi
if [ -z "$pkg" ]; then
	log "cannot resolve the kernel package behind linux-image-amd64"
	exit 1
fi

if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$pkg" ] && [ -f "$out/vmlinuz" ]; then
	log "up to date ($pkg)"
	exit 0
fi

log "fetching $pkg"
work=$(mktemp -d)
# apt-get download drops privileges to _apt, which must be able to write here.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
# Stale package lists name a version the mirror no longer has: refresh them once and retry.
if ! (cd "$work" && apt-get download "$pkg" >/dev/null); then
	log "download failed; refreshing the package lists"
	apt-get update -qq
	pkg=$(resolve_kernel_pkg)
	(cd "$work" && apt-get download "$pkg" >/dev/null)
fi
deb=$(ls "$work"/*.deb)
dpkg-deb -x "$deb" "$work/root"

version=$(ls "$work/root/lib/modules")
if [ "$(echo "$version" | wc -l)" -ne 1 ]; then
	log "expected one kernel version in $pkg, found: $version"
	exit 1
fi
# Bookworm ships plain .ko files; the harness reads modules.dep to resolve dependencies.
depmod -b "$work/root" "$version"

rm -rf "$out/lib" "$out/vmlinuz" "$out/vmlinux" "$out/kernel-version" "$out/.stamp"
mkdir -p "$out/lib/modules"
mv "$work/root/lib/modules/$version" "$out/lib/modules/$version"
cp "$work/root/boot/vmlinuz-$version" "$out/vmlinuz"
echo "$version" >"$out/kernel-version"

# The ELF vmlinux, as the kernel's scripts/extract-vmlinux finds it: the first XZ stream
# (magic FD 37 7A 58 5A 00) in the bzImage decompresses to it. Optional: a failure only costs boot time.
extract_vmlinux() {
	local off
	for off in $(LC_ALL=C grep -obUaP '\xFD7zXZ\x00' "$out/vmlinuz" | cut -d: -f1); do
		# Process substitution, not a pipe: xz stops at the end of the stream and tail's SIGPIPE
		# must not count as a failure under pipefail.
		if xz -dc --single-stream < <(tail -c "+$((off + 1))" "$out/vmlinuz") >"$work/vmlinux" 2>/dev/null &&
			[ "$(head -c 4 "$work/vmlinux" | od -An -tx1 | tr -d ' ')" = "7f454c46" ]; then
			mv "$work/vmlinux" "$out/vmlinux"
			return 0
		fi
	done
	return 1
}
if extract_vmlinux; then
	log "extracted ELF vmlinux"
else
	log "no ELF vmlinux extracted; the harness boots the bzImage"
fi

echo "$pkg" >"$out/.stamp"
log "ready: kernel $version in $out"
