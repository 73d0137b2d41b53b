// Command slicelb-localcluster starts and stops the local control plane `make demo` runs on:
// etcd + kube-apiserver from the envtest binaries as detached processes, optionally with
// config/default applied server-side and slicelb-controller running as its own ServiceAccount.
//
//	slicelb-localcluster up     -dir bin/demo -assets bin/k8s/1.37.1 [-deploy config/default -kustomize bin/kustomize-v5.8.2] [-controller bin/slicelb-controller]
//	slicelb-localcluster down   -dir bin/demo
//	slicelb-localcluster status -dir bin/demo
//
// Everything lives in -dir: the admin kubeconfig, the ServiceAccount kubeconfigs, logs/ and the
// pids `down` stops. Later demo steps attach to it with cluster.Attach.
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

	"github.com/slicelb/slicelb/test/cluster"
)

// fieldManager owns what `up -deploy` applies (kubectl's would be "kubectl").
const fieldManager = "slicelb-demo"

type upOptions struct {
	dir, assets, deploy, kustomize, controller, kubectl string
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	fs := flag.NewFlagSet("slicelb-localcluster "+os.Args[1], flag.ExitOnError)
	var o upOptions
	fs.StringVar(&o.dir, "dir", "bin/demo", "State directory (kubeconfig, logs/, pids).")
	fs.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "Directory holding kube-apiserver and etcd (default $KUBEBUILDER_ASSETS).")
	fs.StringVar(&o.deploy, "deploy", "", "Kustomize directory to apply server-side after the start (e.g. config/default).")
	fs.StringVar(&o.kustomize, "kustomize", "kustomize", "The kustomize binary for -deploy.")
	fs.StringVar(&o.controller, "controller", "", "slicelb-controller binary to run as its ServiceAccount (needs -deploy).")
	fs.StringVar(&o.kubectl, "kubectl", "kubectl", "kubectl to name in the printed instructions.")
	if err := fs.Parse(os.Args[2:]); err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "up":
		err = up(ctx, o, os.Stdout)
	case "down":
		err = down(o.dir, os.Stdout)
	case "status":
		err = status(o.dir, os.Stdout)
	default:
		usage(os.Stderr)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "slicelb-localcluster:", err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	_, _ = fmt.Fprintln(w, "usage: slicelb-localcluster up|down|status [-dir DIR] [flags]; -h after the command lists them")
}

// up starts the control plane detached and, as asked, deploys and starts the controller. A failed
// step stops everything it started and says which step failed.
func up(ctx context.Context, o upOptions, w io.Writer) (err error) {
	if o.controller != "" && o.deploy == "" {
		return errors.New("-controller needs -deploy (its ServiceAccount and RBAC come from the manifests)")
	}
	if running, _ := cluster.Attach(o.dir); running != nil {
		return fmt.Errorf("a control plane already runs from %s (stop it with `slicelb-localcluster down -dir %s`)", o.dir, o.dir)
	}
	step := func(format string, args ...any) { _, _ = fmt.Fprintf(w, "==> "+format+"\n", args...) }
	start := time.Now()
	step("starting etcd and kube-apiserver (state in %s)", o.dir)
	c, err := cluster.Start(ctx, cluster.Options{Dir: o.dir, AssetsDir: o.assets, Detached: true})
	if err != nil {
		return fmt.Errorf("step 'start the control plane': %w", err)
	}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()
	step("control plane up at %s in %v", c.Config.Host, time.Since(start).Round(100*time.Millisecond))
	if o.deploy != "" {
		objs, err := cluster.KustomizeBuild(ctx, o.kustomize, o.deploy)
		if err != nil {
			return fmt.Errorf("step 'kustomize build %s': %w", o.deploy, err)
		}
		if _, err := cluster.ServerSideApply(ctx, c.Config, fieldManager, objs); err != nil {
			return fmt.Errorf("step 'apply %s': %w", o.deploy, err)
		}
		step("applied %d objects of %s server-side", len(objs), o.deploy)
	}
	if o.controller != "" {
		b, err := c.StartController(ctx, o.controller)
		if err != nil {
			return fmt.Errorf("step 'start slicelb-controller': %w", err)
		}
		if err := b.WaitReady(ctx, 2*time.Minute); err != nil {
			return fmt.Errorf("step 'slicelb-controller ready': %w", err)
		}
		step("slicelb-controller ready as ServiceAccount %s/%s (pid %d, log %s)", cluster.SystemNamespace, cluster.ControllerName, b.Pid(), b.LogPath())
	}
	kc, _ := filepath.Abs(c.Kubeconfig)
	_, _ = fmt.Fprintf(w, "\nThe control plane keeps running. Look around with:\n  %s --kubeconfig %s get endpointslices -A\n"+
		"Logs: %s\nStop everything: slicelb-localcluster down -dir %s (make demo-down)\n",
		o.kubectl, kc, filepath.Join(c.Dir, "logs"), o.dir)
	return nil
}

// down stops every process recorded in dir.
func down(dir string, w io.Writer) error {
	if err := cluster.StopDir(dir); err != nil {
		return err
	}
	_, _ = fmt.Fprintf(w, "stopped everything recorded in %s\n", dir)
	return nil
}

// status says whether a control plane runs from dir.
func status(dir string, w io.Writer) error {
	c, err := cluster.Attach(dir)
	if err != nil {
		return err
	}
	_, _ = fmt.Fprintf(w, "control plane running at %s (kubeconfig %s)\n", c.Config.Host, c.Kubeconfig)
	return nil
}
