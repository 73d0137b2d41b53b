package nodebench

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/slicelb/slicelb/test/bench/nodebench/nbapi"
	"github.com/slicelb/slicelb/test/vm/harness"
	"github.com/slicelb/slicelb/test/vmnode"
)

// kubeProxyModules are what kube-proxy's IPVS mode needs besides vmnode's set (IPVS, conntrack,
// nftables NAT, dummy, virtio): ipset with the set types it creates (hash:ip,port, hash:ip,port,ip,
// hash:ip,port,net, hash:net, bitmap:port), Debian's iptables-nft (nft_compat and the xt_ matches
// and targets its rules use; REJECT for both families, since kube-proxy runs an IPv6 proxier too
// on any kernel with IPv6), the legacy ip_tables tables as a fallback, and nlmon, the tap through
// which the guest counts netlink messages.
var kubeProxyModules = []string{
	"ip_set", "ip_set_hash_ip", "ip_set_hash_ipport", "ip_set_hash_ipportip", "ip_set_hash_ipportnet", "ip_set_hash_net",
	"ip_set_bitmap_port", "xt_set", "nft_compat", "nft_reject", "nft_reject_inet", "nf_reject_ipv4",
	"xt_comment", "xt_mark", "xt_addrtype", "xt_conntrack", "xt_MASQUERADE", "xt_nat", "xt_tcpudp", "xt_multiport",
	"xt_physdev", "xt_statistic", "xt_ipvs", "ipt_REJECT", "ip6t_REJECT", "nf_reject_ipv6", "nft_reject_ipv6", "ip_tables", "iptable_filter", "iptable_nat", "iptable_mangle",
	"ip6_tables", "ip6table_filter", "ip6table_nat", "ip6table_mangle", "br_netfilter", "nlmon",
}

// modules is vmnode's list plus kubeProxyModules, keeping only names the kernel has as modules or
// built in: an optional module this kernel lacks must not fail the image.
func modules(modDir string) ([]string, error) {
	md, builtin, err := harness.ReadModules(modDir)
	if err != nil {
		return nil, err
	}
	out := append([]string(nil), vmnode.GuestModules...)
	for _, m := range kubeProxyModules {
		if _, ok := md.File[harness.ModuleName(m)]; ok && !builtin[harness.ModuleName(m)] {
			out = append(out, m)
		}
	}
	return out, nil
}

// buildGuest compiles the guest program (static, stripped).
func buildGuest(ctx context.Context, moduleRoot, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./test/bench/nodebench/guest")
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the guest program: %w\n%s", err, b)
	}
	return nil
}

// userlandFiles are the files under dir (hack/vm-assets.sh's unpacked Debian packages) as
// initramfs entries, symbolic links kept as links.
func userlandFiles(dir string) ([]harness.File, error) {
	var out []harness.File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." || d.IsDir() || rel == ".stamp" {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, harness.File{Path: rel, Symlink: t})
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, harness.File{Path: rel, Mode: uint32(info.Mode().Perm()), Data: b})
		return nil
	})
	return out, err
}

// image is what one boot needs besides the kernel.
type image struct {
	cfg        nbapi.Config
	kubeconfig []byte
	kubeProxy  string // empty: not included (it did not build)
	node       string
	userland   string // empty: none (kube-proxy then finds no iptables or ipset)
}

func writeInitramfs(assets, initBin, out string, img image) error {
	version, err := os.ReadFile(filepath.Join(assets, "kernel-version"))
	if err != nil {
		return fmt.Errorf("VM assets in %s (run make vm-assets): %w", assets, err)
	}
	modDir := filepath.Join(assets, "lib", "modules", strings.TrimSpace(string(version)))
	mods, err := modules(modDir)
	if err != nil {
		return err
	}
	cfg, err := json.Marshal(img.cfg)
	if err != nil {
		return err
	}
	files := []harness.File{
		{Path: strings.TrimPrefix(nbapi.ConfigPath, "/"), Mode: 0o644, Data: cfg},
		{Path: strings.TrimPrefix(nbapi.Kubeconfig, "/"), Mode: 0o600, Data: img.kubeconfig},
	}
	for path, bin := range map[string]string{nbapi.SlicelbNode: img.node, nbapi.KubeProxy: img.kubeProxy} {
		if bin == "" {
			continue
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		files = append(files, harness.File{Path: strings.TrimPrefix(path, "/"), Mode: 0o755, Data: b})
	}
	if img.userland != "" {
		u, err := userlandFiles(img.userland)
		if err != nil {
			return fmt.Errorf("guest userland: %w", err)
		}
		files = append(files, u...)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	_, err = harness.Initramfs{Init: initBin, ModulesDir: modDir, Modules: mods, Files: files}.Write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
