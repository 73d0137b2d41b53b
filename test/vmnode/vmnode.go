package vmnode

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/slicelb/slicelb/test/cluster"
	"github.com/slicelb/slicelb/test/vm/harness"
	"github.com/slicelb/slicelb/test/vmnode/guestapi"
)

// DefaultName is the Node name used when Options.NodeName is empty.
const DefaultName = "vm-node"

// Options describe one VM node.
type Options struct {
	// Cluster is the control plane the node joins; the VM runs as its process "vm-node" (so
	// Cluster.Stop, or StopDir of a detached cluster, ends it) with the console in its log.
	Cluster *cluster.Cluster
	// Assets is the VM asset directory (hack/vm-assets.sh: kernel, modules).
	Assets string
	// NodeBinary is a static slicelb-node (cluster.BuildBinaries).
	NodeBinary string
	// NodeKubeconfig is slicelb-node's identity as the host sees it (e.g. the ServiceAccount
	// slicelb-system/slicelb-node); the guest gets its ForGuest form.
	NodeKubeconfig cluster.Kubeconfig
	// NodeName defaults to DefaultName.
	NodeName string
	// NodeArgs are extra slicelb-node flags.
	NodeArgs []string
	// ForwardTCP are guest TCP ports on the node address (e.g. NodePorts) to forward from host
	// loopback ports, so the host reaches them from outside the node.
	ForwardTCP []int
	// MemoryMB defaults to 1536, CPUs to 2.
	MemoryMB, CPUs int
	// BootTimeout bounds boot → control endpoint answering; default 5 minutes (TCG on a busy host).
	BootTimeout time.Duration
}

// Node is a running VM node.
type Node struct {
	// Name is the Node object's name.
	Name string
	// Process is qemu; its log is the guest's console (slicelb-node's log lines start "node| ").
	Process *cluster.Process
	// ControlPort is the host loopback port of the guest's control endpoint.
	ControlPort int
	// Forwards maps a forwarded guest port to its host loopback port.
	Forwards map[int]int
	hc       *http.Client
}

// Start registers the Node, builds the guest image and boots it, and returns once the guest's
// control endpoint answers (slicelb-node is then running; it may not have synced yet).
func Start(ctx context.Context, o Options) (*Node, error) {
	if o.NodeName == "" {
		o.NodeName = DefaultName
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = 1536
	}
	if o.CPUs == 0 {
		o.CPUs = 2
	}
	if o.BootTimeout == 0 {
		o.BootTimeout = 5 * time.Minute
	}
	cs, err := kubernetes.NewForConfig(o.Cluster.Config)
	if err != nil {
		return nil, err
	}
	if err := RegisterNode(ctx, cs, o.NodeName); err != nil {
		return nil, err
	}
	img, err := identities(ctx, o, cs)
	if err != nil {
		return nil, err
	}
	work := filepath.Join(o.Cluster.Dir, "vmnode-"+o.NodeName)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	root, err := cluster.ModuleRoot()
	if err != nil {
		return nil, err
	}
	initBin, initrd := filepath.Join(work, "init"), filepath.Join(work, "initrd.gz")
	if err := buildGuest(ctx, root, initBin); err != nil {
		return nil, err
	}
	if err := writeInitramfs(o.Assets, initBin, initrd, img); err != nil {
		return nil, fmt.Errorf("writing the initramfs: %w", err)
	}
	n := &Node{Name: o.NodeName, Forwards: map[int]int{}, hc: &http.Client{Timeout: 5 * time.Minute}}
	if n.ControlPort, err = cluster.FreePort(); err != nil {
		return nil, err
	}
	netdev := fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-%s:%d", n.ControlPort, guestapi.NodeIP, guestapi.ControlPort)
	for _, p := range o.ForwardTCP {
		hp, err := cluster.FreePort()
		if err != nil {
			return nil, err
		}
		n.Forwards[p] = hp
		netdev += fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-%s:%d", hp, guestapi.NodeIP, p)
	}
	boot := harness.Boot{
		Kernel: KernelImage(o.Assets), Initrd: initrd, MemoryMB: o.MemoryMB, CPUs: o.CPUs, Accel: harness.ChooseAccel(),
		Extra: []string{"-netdev", netdev, "-device", "virtio-net-pci,netdev=n0"},
	}
	err = n.boot(ctx, o, boot)
	if err != nil && !strings.Contains(n.ConsoleTail(1<<20), guestapi.Started) {
		// The kernel died before running the guest (a nested /dev/kvm, or an emulated CPU on a
		// starved host tripping an early boot check, as test/vm has seen). Nothing ran yet, so one
		// more boot with TCG is safe; a second failure is reported.
		boot.Accel = "tcg"
		err = errors.Join(err, n.Stop())
		if err2 := n.boot(ctx, o, boot); err2 != nil {
			return nil, fmt.Errorf("%w; booting again with TCG: %w", err, err2)
		}
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

// boot starts qemu as the cluster's process "vm-node" and waits for the control endpoint.
func (n *Node) boot(ctx context.Context, o Options, b harness.Boot) error {
	var err error
	n.Process, err = o.Cluster.StartProcess(cluster.ProcessOptions{Name: "vm-node", Path: "qemu-system-x86_64", Args: b.QemuArgs()})
	if err != nil {
		return fmt.Errorf("starting qemu (make vm-assets installs it): %w", err)
	}
	if err := n.waitReady(ctx, o.BootTimeout); err != nil {
		return errors.Join(err, n.Stop())
	}
	return nil
}

// identities are the guest's kubeconfigs (slicelb-node's and the kubelet stand-in's, both with
// the guest's view of the API server) and its configuration.
func identities(ctx context.Context, o Options, cs kubernetes.Interface) (image, error) {
	img := image{config: guestapi.Config{NodeName: o.NodeName, NodeArgs: o.NodeArgs}, nodeBinary: o.NodeBinary}
	g, err := o.NodeKubeconfig.ForGuest()
	if err != nil {
		return img, err
	}
	if img.nodeKubeconfig, err = g.Bytes(); err != nil {
		return img, err
	}
	if err := ensureKubeletIdentity(ctx, cs); err != nil {
		return img, fmt.Errorf("kubelet stand-in identity: %w", err)
	}
	kc, err := o.Cluster.ServiceAccount(ctx, KubeletNamespace, KubeletName)
	if err != nil {
		return img, err
	}
	if g, err = kc.ForGuest(); err != nil {
		return img, err
	}
	img.kubeletKubeconfig, err = g.Bytes()
	return img, err
}

// waitReady polls the control endpoint; qemu exiting (a kernel panic, a failed guest) ends the
// wait at once with the console's last lines.
func (n *Node) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		if exited, err := n.Process.Exited(); exited {
			return fmt.Errorf("the VM exited during boot (%v):\n%s", err, n.ConsoleTail(30))
		}
		if resp, err := hc.Get(n.controlURL(guestapi.PathHealthz)); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the VM node did not answer within %v:\n%s", timeout, n.ConsoleTail(30))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// ConsoleTail is the last lines of the guest's console.
func (n *Node) ConsoleTail(lines int) string {
	if n.Process == nil {
		return "(qemu did not start)"
	}
	log, err := n.Process.Logs()
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.ReplaceAll(strings.TrimRight(log, "\n"), "\r", ""), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// Stop powers the VM off (kills qemu: the guest keeps no state worth a clean shutdown).
func (n *Node) Stop() error {
	if n.Process == nil {
		return nil
	}
	if exited, _ := n.Process.Exited(); exited {
		return nil
	}
	err := n.Process.Stop(5 * time.Second)
	if err != nil && strings.Contains(err.Error(), "SIGKILL") {
		return nil
	}
	return err
}
