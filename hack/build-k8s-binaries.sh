#!/usr/bin/env bash
# Builds Kubernetes server binaries (kube-apiserver, kube-controller-manager, kube-proxy, kubectl)
# and etcd from Go modules, so that envtest needs no download site.
#
# usage: hack/build-k8s-binaries.sh OUTDIR BINARY...
#   BINARY is one of kube-apiserver kube-controller-manager kube-proxy kubectl etcd.
# Environment: K8S_VERSION (default 1.37.1), ETCD_VERSION (default 3.6.16).
#
# Why a throw-away module: k8s.io/kubernetes replaces its staging modules (k8s.io/api, …) with
# ./staging paths that do not exist in the module zip, so a consumer must replace each of them with
# the published module at the matching v0.x version. The list is read from that version's go.mod so
# that it follows Kubernetes when the version changes.
set -euo pipefail

out=${1:?usage: $0 OUTDIR BINARY...}
shift
k8s_version=${K8S_VERSION:-1.37.1}
etcd_version=${ETCD_VERSION:-3.6.16}
staging_version="v0.${k8s_version#*.}"
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

build_kube() {
  local bin=$1
  if [ ! -f "$work/kube/go.mod" ]; then
    mkdir -p "$work/kube"
    (
      cd "$work/kube"
      go mod init slicelb.local/k8sbuild >/dev/null 2>&1
      gomod=$(go mod download -json "k8s.io/kubernetes@v${k8s_version}" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
      {
        echo "require k8s.io/kubernetes v${k8s_version}"
        echo "replace ("
        sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\t\1 => \1 '"${staging_version}"'#p' "$gomod"
        echo ")"
      } >>go.mod
    )
  fi
  # One import per binary, tidied before each build, so go.sum covers that binary's packages
  # (kubectl needs k8s.io/cli-runtime, which kube-apiserver does not).
  printf 'package tools\n\nimport _ "k8s.io/kubernetes/cmd/%s"\n' "$bin" >"$work/kube/tools_${bin//-/_}.go"
  (cd "$work/kube" && go mod tidy >/dev/null 2>&1 || true)
  echo ">> building $bin v${k8s_version} from Go modules (several minutes on 2 cores)"
  (cd "$work/kube" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-X k8s.io/component-base/version.gitVersion=v${k8s_version}" \
    -o "$out/$bin" "k8s.io/kubernetes/cmd/$bin")
}

build_etcd() {
  mkdir -p "$work/etcd"
  (
    cd "$work/etcd"
    go mod init slicelb.local/etcdbuild >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@v${etcd_version}" >/dev/null 2>&1
    echo ">> building etcd v${etcd_version} from Go modules"
    CGO_ENABLED=0 go build -trimpath -o "$out/etcd" go.etcd.io/etcd/server/v3
  )
}

for bin in "$@"; do
  if [ -x "$out/$bin" ]; then
    continue
  fi
  case "$bin" in
    etcd) build_etcd ;;
    kube-apiserver | kube-controller-manager | kube-proxy | kubectl) build_kube "$bin" ;;
    *) echo "unknown binary $bin" >&2; exit 2 ;;
  esac
done
