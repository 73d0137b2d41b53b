package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/slicelb/slicelb/test/cluster"
	"github.com/slicelb/slicelb/test/vmnode"
)

type options struct {
	dir, vmAssets, nodeBinary, kubectl string
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "bin/demo", "State directory of the running local control plane (slicelb-localcluster up).")
	flag.StringVar(&o.vmAssets, "vm-assets", "bin/vm", "VM kernel and modules (make vm-assets).")
	flag.StringVar(&o.nodeBinary, "node", "bin/slicelb-node", "Static slicelb-node binary to run in the VM.")
	flag.StringVar(&o.kubectl, "kubectl", "kubectl", "kubectl to name in the printed instructions.")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo FAILED: %v\n(the control plane, the controller and the VM, if started, keep running for a look; logs in %s; stop everything with make demo-down)\n",
			err, filepath.Join(o.dir, "logs"))
		os.Exit(1)
	}
}

// demo carries what the steps share.
type demo struct {
	w    io.Writer
	c    *cluster.Cluster
	cs   kubernetes.Interface
	node *vmnode.Node
}

func (d *demo) step(format string, args ...any) {
	_, _ = fmt.Fprintf(d.w, "\n==> "+format+"\n", args...)
}

func run(ctx context.Context, o options, w io.Writer) error {
	c, err := cluster.Attach(o.dir)
	if err != nil {
		return fmt.Errorf("step 'attach to the control plane': %w (run slicelb-localcluster up first; make demo does)", err)
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.WarningHandler = rest.NoWarnings{} // every core/v1 Endpoints call draws a deprecation warning
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	d := &demo{w: w, c: c, cs: cs}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"create the scenario (namespace demo)", d.createScenario},
		{"boot the VM as node vm-node running slicelb-node", func(ctx context.Context) error { return d.bootNode(ctx, o) }},
		{"Endpoints and EndpointSlices", d.showEndpoints},
		{"the node's IPVS table", d.showIPVS},
		{"round robin through a ClusterIP", d.showRoundRobin},
		{"session affinity (ClientIP)", d.showAffinity},
		{"NodePort 30010 from the host", d.showNodePort},
		{"multi-port TCP/UDP Service", d.showDNS},
		{"a pod flips not-ready, then ready again", d.showNotReady},
	}
	start := time.Now()
	for _, s := range steps {
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("step '%s': %w", s.name, err)
		}
	}
	kc, _ := filepath.Abs(c.Kubeconfig)
	_, _ = fmt.Fprintf(w, "\n==> demo done in %v. Everything keeps running:\n"+
		"  %s --kubeconfig %s get pods,services,endpointslices -n demo\n"+
		"  %s --kubeconfig %s get nodes -o wide\n"+
		"  curl -s 'http://127.0.0.1:%d/status'     (slicelb-node status inside the VM)\n"+
		"  curl -s 'http://127.0.0.1:%d/http?target=%s&path=/hostname.html&n=10'\n"+
		"  curl -s http://127.0.0.1:%d/hostname.html  (NodePort 30010 of vm-node, forwarded)\n"+
		"Logs (VM console with the agent's lines as 'node| ...'): %s\nStop everything: make demo-down\n",
		time.Since(start).Round(time.Second), o.kubectl, kc, o.kubectl, kc, d.node.ControlPort, d.node.ControlPort,
		d.clusterIP(ctx, "myapp")+":80", d.node.Forwards[30010], filepath.Join(c.Dir, "logs"))
	return nil
}

// clusterIP is a Service's ClusterIP ("" when it cannot be read).
func (d *demo) clusterIP(ctx context.Context, name string) string {
	s, err := d.cs.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return s.Spec.ClusterIP
}

// errNoNode is returned by steps that need the VM before it booted.
var errNoNode = errors.New("the VM node is not running")
