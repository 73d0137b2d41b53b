package nodebench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/slicelb/slicelb/test/bench/nodebench/nbapi"
	"github.com/slicelb/slicelb/test/bench/report"
	"github.com/slicelb/slicelb/test/cluster"
	"github.com/slicelb/slicelb/test/vm/harness"
	"github.com/slicelb/slicelb/test/vmnode"
	"github.com/slicelb/slicelb/test/vmnode/guestapi"
)

// Options describe one run of the scenario.
type Options struct {
	// Services × Endpoints is the workload (the issue: 10,000 × 10).
	Services, Endpoints int
	// AssetsDir holds etcd and kube-apiserver; VMAssets the kernel, modules and userland
	// (hack/vm-assets.sh).
	AssetsDir, VMAssets string
	// KubeProxy is kube-proxy v1.37.1 (hack/build-k8s-binaries.sh); empty or missing: the
	// report says so and slicelb-node runs alone.
	KubeProxy string
	// Node is a static slicelb-node.
	Node string
	// Work is the directory for the control plane, the image and the logs.
	Work string
	// SyncPeriod is both agents' periodic sync; 30 s (both agents' default) when zero.
	SyncPeriod time.Duration
	// Say reports progress.
	Say func(format string, args ...any)
}

// vmCPUs and vmMemoryMB size the guest: two vCPUs, like the VM node, and room for an initramfs
// holding two agents (kube-proxy alone is ~110 MB) plus the agents' tables.
const (
	vmCPUs     = 2
	vmMemoryMB = 4096
)

// Run runs the scenario. The returned bench carries whatever was measured; an error means the
// scenario itself (control plane, objects, VM) failed.
func Run(ctx context.Context, o Options) (report.NodeAgentsBench, error) {
	if o.SyncPeriod == 0 {
		o.SyncPeriod = 30 * time.Second
	}
	if o.Say == nil {
		o.Say = func(string, ...any) {}
	}
	res := report.NodeAgentsBench{VirtualServers: o.Services, RealServers: o.Endpoints, CPUs: vmCPUs, MemoryMB: vmMemoryMB,
		SyncPeriod: o.SyncPeriod.String()}
	if _, err := os.Stat(filepath.Join(o.VMAssets, ".stamp")); err != nil {
		return res, fmt.Errorf("no VM assets in %s (make vm-assets): %w", o.VMAssets, err)
	}
	c, err := cluster.Start(ctx, cluster.Options{Dir: filepath.Join(o.Work, "nodebench-cluster"), AssetsDir: o.AssetsDir})
	if err != nil {
		return res, fmt.Errorf("control plane: %w", err)
	}
	defer func() { _ = c.Stop() }()
	cfg := *c.Config
	// The harness writes 2N objects as fast as the API server takes them.
	cfg.QPS, cfg.Burst = 5000, 5000
	cs, err := kubernetes.NewForConfig(&cfg)
	if err != nil {
		return res, err
	}
	o.Say("creating %d Services × %d endpoints", o.Services, o.Endpoints)
	start := time.Now()
	w, err := createObjects(ctx, cs, o.Services, o.Endpoints)
	if err != nil {
		return res, err
	}
	res.HarnessSeconds = time.Since(start).Seconds()
	if err := vmnode.RegisterNode(ctx, cs, vmnode.DefaultName); err != nil {
		return res, err
	}
	vm, err := boot(ctx, o, c, &res)
	if err != nil {
		return res, err
	}
	defer func() { _ = vm.stop() }()
	for _, a := range vm.agents {
		o.Say("%s", a.name)
		ab := vm.measure(ctx, a, w, o)
		res.Agents = append(res.Agents, ab)
	}
	return res, nil
}

// world is what the harness created: each Service's ClusterIP and slice (kept current).
type world struct {
	cs      kubernetes.Interface
	ips     []string
	slices  []*discoveryv1.EndpointSlice
	changes int
}

// createObjects creates the Namespace, then Services and slices with 16 writers.
func createObjects(ctx context.Context, cs kubernetes.Interface, n, m int) (*world, error) {
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: Namespace}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	w := &world{cs: cs, ips: make([]string, n), slices: make([]*discoveryv1.EndpointSlice, n)}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				svc, err := cs.CoreV1().Services(Namespace).Create(ctx, NewService(i), metav1.CreateOptions{})
				if err != nil {
					errs[g] = fmt.Errorf("creating Service %d: %w", i, err)
					return
				}
				w.ips[i] = svc.Spec.ClusterIP
				sl, err := cs.DiscoveryV1().EndpointSlices(Namespace).Create(ctx, NewSlice(i, m), metav1.CreateOptions{})
				if err != nil {
					errs[g] = fmt.Errorf("creating EndpointSlice %d: %w", i, err)
					return
				}
				w.slices[i] = sl
			}
		}()
	}
	wg.Wait()
	return w, errors.Join(errs...)
}

// change replaces the first endpoint of Service i with a fresh address and returns the VIP and
// the new real server.
func (w *world) change(ctx context.Context, i, m int) (vip, rs string, err error) {
	w.changes++
	ip := EndpointIP(len(w.slices)*m + w.changes)
	updated, err := w.cs.DiscoveryV1().EndpointSlices(Namespace).Update(ctx, ReplaceFirst(w.slices[i], ip), metav1.UpdateOptions{})
	if err != nil {
		return "", "", err
	}
	w.slices[i] = updated
	return w.ips[i], fmt.Sprintf("%s:%d", ip, TargetPort), nil
}

// agentSpec is one contender as the guest runs it.
type agentSpec struct {
	name, version string
	args, cleanup []string
	// syncSum and syncCount name the sync-duration histogram's series; writes the agent's own
	// kernel-write counter (empty: none).
	syncSum, syncCount, writes string
	// labels select the sync histogram's series: kube-proxy runs an IPv6 proxier next to the IPv4
	// one (any kernel with IPv6 makes it dual-stack) whose syncs have no Services to program.
	labels []string
}

func agentSpecs(o Options, haveKubeProxy bool) []agentSpec {
	period := o.SyncPeriod.String()
	var out []agentSpec
	if haveKubeProxy {
		out = append(out, agentSpec{
			name: report.AgentKubeProxy, version: "v1.37.1",
			// conntrack-*=0: leave the guest's conntrack sysctls as they are (the defaults would
			// write nf_conntrack_max and timeouts, which measure nothing here). Metrics and healthz
			// on loopback: the guest reads them.
			args: []string{"--proxy-mode=ipvs", "--kubeconfig=" + nbapi.Kubeconfig, "--hostname-override=" + vmnode.DefaultName,
				"--conntrack-max-per-core=0", "--conntrack-tcp-timeout-established=0", "--conntrack-tcp-timeout-close-wait=0",
				fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", nbapi.KubeProxyMetricsPort), "--healthz-bind-address=127.0.0.1:10256",
				"--ipvs-sync-period=" + period, "--ipvs-min-sync-period=1s", "--v=2"},
			cleanup:   []string{"--cleanup", "--proxy-mode=ipvs", "--v=2"},
			syncSum:   "kubeproxy_sync_proxy_rules_duration_seconds_sum",
			syncCount: "kubeproxy_sync_proxy_rules_duration_seconds_count",
			labels:    []string{`ip_family="IPv4"`},
		})
	}
	out = append(out, agentSpec{
		name: report.AgentSlicelb,
		// Policies off: the bench's control plane has no slicelb CRDs (kube-proxy has no
		// equivalent either).
		args: []string{"--node-name=" + vmnode.DefaultName, "--kubeconfig=" + nbapi.Kubeconfig,
			fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", nbapi.SlicelbMetricsPort), "--metrics-secure=false",
			"--health-probe-bind-address=127.0.0.1:10266", "--sync-period=" + period, "--min-sync-period=1s", "--policies=false"},
		cleanup:   []string{"--cleanup", "--node-name=" + vmnode.DefaultName, "--kubeconfig=" + nbapi.Kubeconfig},
		syncSum:   "slicelb_node_sync_duration_seconds_sum",
		syncCount: "slicelb_node_sync_duration_seconds_count",
		writes:    "slicelb_node_netlink_writes_total",
	})
	return out
}

// guestVM is the booted VM.
type guestVM struct {
	proc   *cluster.Process
	port   int
	hc     *http.Client
	agents []agentSpec
	log    string
}

func boot(ctx context.Context, o Options, c *cluster.Cluster, res *report.NodeAgentsBench) (*guestVM, error) {
	work := filepath.Join(o.Work, "nodebench-vm")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	root, err := cluster.ModuleRoot()
	if err != nil {
		return nil, err
	}
	kc, err := c.Admin().ForGuest()
	if err != nil {
		return nil, err
	}
	kcb, err := kc.Bytes()
	if err != nil {
		return nil, err
	}
	img := image{kubeconfig: kcb, node: o.Node}
	haveKubeProxy := false
	if o.KubeProxy != "" {
		if _, err := os.Stat(o.KubeProxy); err == nil {
			img.kubeProxy, haveKubeProxy = o.KubeProxy, true
		}
	}
	userland := filepath.Join(o.VMAssets, "userland")
	if _, err := os.Stat(filepath.Join(userland, ".stamp")); err == nil {
		img.userland = userland
	}
	vm := &guestVM{hc: &http.Client{Timeout: time.Hour}, agents: agentSpecs(o, haveKubeProxy)}
	if !haveKubeProxy {
		res.Agents = append(res.Agents, report.AgentBench{Agent: report.AgentKubeProxy, Version: "v1.37.1",
			Error: fmt.Sprintf("kube-proxy binary %q not found (hack/build-k8s-binaries.sh OUTDIR kube-proxy builds it)", o.KubeProxy)})
	}
	img.cfg = nbapi.Config{VirtualServers: o.Services, RealServers: o.Endpoints, Port: ServicePort,
		Args: map[string][]string{}, CleanupArgs: map[string][]string{}}
	for _, a := range vm.agents {
		img.cfg.Args[a.name], img.cfg.CleanupArgs[a.name] = a.args, a.cleanup
	}
	initBin, initrd := filepath.Join(work, "init"), filepath.Join(work, "initrd.gz")
	if err := buildGuest(ctx, root, initBin); err != nil {
		return nil, err
	}
	if err := writeInitramfs(o.VMAssets, initBin, initrd, img); err != nil {
		return nil, fmt.Errorf("writing the initramfs: %w", err)
	}
	if vm.port, err = cluster.FreePort(); err != nil {
		return nil, err
	}
	b := harness.Boot{Kernel: vmnode.KernelImage(o.VMAssets), Initrd: initrd, MemoryMB: vmMemoryMB, CPUs: vmCPUs, Accel: harness.ChooseAccel(),
		Extra: []string{"-netdev", fmt.Sprintf("user,id=n0,hostfwd=tcp:127.0.0.1:%d-%s:%d", vm.port, guestapi.NodeIP, nbapi.ControlPort),
			"-device", "virtio-net-pci,netdev=n0"}}
	res.Accel = b.Accel
	o.Say("booting the VM (%s)", b.Accel)
	vm.proc, err = c.StartProcess(cluster.ProcessOptions{Name: "nodebench-vm", Path: "qemu-system-x86_64", Args: b.QemuArgs()})
	if err != nil {
		return nil, fmt.Errorf("starting qemu: %w", err)
	}
	vm.log = vm.proc.LogPath()
	if err := vm.waitHealthy(ctx, 5*time.Minute); err != nil {
		_ = vm.stop()
		return nil, err
	}
	return vm, nil
}

func (vm *guestVM) waitHealthy(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		if exited, err := vm.proc.Exited(); exited {
			return fmt.Errorf("the VM exited during boot (%v):\n%s", err, vm.consoleTail(30))
		}
		if resp, err := hc.Get(vm.url(nbapi.PathHealthz)); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the VM did not answer within %v:\n%s", timeout, vm.consoleTail(30))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (vm *guestVM) consoleTail(n int) string {
	b, err := os.ReadFile(vm.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.ReplaceAll(strings.TrimRight(string(b), "\n"), "\r", ""), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (vm *guestVM) stop() error {
	if exited, _ := vm.proc.Exited(); exited {
		return nil
	}
	err := vm.proc.Stop(5 * time.Second)
	if err != nil && strings.Contains(err.Error(), "SIGKILL") {
		return nil
	}
	return err
}
