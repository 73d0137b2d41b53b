package vmnode

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/slicelb/slicelb/test/vm/harness"
	"github.com/slicelb/slicelb/test/vmnode/guestapi"
)

// GuestModules are test/vm's dataplane set (IPVS, conntrack, nftables NAT, veth, dummy) plus the
// virtio network device in VM.md's order, dependencies resolved from modules.dep. libcrc32c's soft
// dependency is not in modules.dep, so crc32c_generic is named first.
var GuestModules = []string{
	"crc32c_generic", "libcrc32c", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "nf_conntrack_netlink",
	"ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "ip_vs_lc", "ip_vs_wlc", "ip_vs_mh",
	"nf_tables", "nf_nat", "nft_ct", "nft_chain_nat", "nft_masq", "nft_nat",
	"veth", "dummy",
	"virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio_pci", "failover", "net_failover", "virtio_net",
}

// image is what one boot needs besides the kernel.
type image struct {
	config            guestapi.Config
	nodeKubeconfig    []byte
	kubeletKubeconfig []byte
	nodeBinary        string
}

// buildGuest compiles the guest program (static, stripped: less for the emulated CPU to unpack).
func buildGuest(ctx context.Context, moduleRoot, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./test/vmnode/guest")
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the guest program: %w\n%s", err, b)
	}
	return nil
}

// writeInitramfs writes the archive: the guest program as /init, slicelb-node, the kubeconfigs,
// the configuration and the modules.
func writeInitramfs(assets, initBin, out string, img image) error {
	version, err := os.ReadFile(filepath.Join(assets, "kernel-version"))
	if err != nil {
		return fmt.Errorf("VM assets in %s (run make vm-assets): %w", assets, err)
	}
	node, err := os.ReadFile(img.nodeBinary)
	if err != nil {
		return fmt.Errorf("reading slicelb-node: %w", err)
	}
	cfg, err := json.Marshal(img.config)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	_, err = harness.Initramfs{
		Init:       initBin,
		ModulesDir: filepath.Join(assets, "lib", "modules", strings.TrimSpace(string(version))),
		Modules:    GuestModules,
		Files: []harness.File{
			{Path: strings.TrimPrefix(guestapi.NodeBinary, "/"), Mode: 0o755, Data: node},
			{Path: strings.TrimPrefix(guestapi.ConfigPath, "/"), Mode: 0o644, Data: cfg},
			{Path: strings.TrimPrefix(guestapi.NodeKubeconfig, "/"), Mode: 0o600, Data: img.nodeKubeconfig},
			{Path: strings.TrimPrefix(guestapi.KubeletKubeconfig, "/"), Mode: 0o600, Data: img.kubeletKubeconfig},
		},
	}.Write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// KernelImage prefers the ELF vmlinux: qemu boots it through PVH and skips the bzImage's
// self-decompression, which costs seconds under TCG.
func KernelImage(assets string) string {
	if _, err := os.Stat(filepath.Join(assets, "vmlinux")); err == nil {
		return filepath.Join(assets, "vmlinux")
	}
	return filepath.Join(assets, "vmlinuz")
}
