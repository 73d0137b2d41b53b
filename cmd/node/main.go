// Command slicelb-node programs the node's Linux IPVS from Services and EndpointSlices: one agent
// per node (a DaemonSet on the host network with NET_ADMIN). `slicelb-node status` prints the IPVS
// table; `slicelb-node --cleanup` removes what the agent owns and exits.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/slicelb/slicelb/dataplane/agent"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "status" {
		if err := runStatus(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	opts, err := parseFlags(defaultFlagSet(), args, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts.zap)))
	ctx := ctrl.SetupSignalHandler()
	if opts.cleanup {
		err = runCleanup(ctx, opts)
	} else {
		err = run(ctx, opts)
	}
	if err != nil {
		ctrl.Log.Error(err, "slicelb-node failed")
		os.Exit(1)
	}
}

// runStatus prints the kernel's IPVS table in the `ipvsadm -Ln` layout.
func runStatus(w io.Writer) error {
	h, closeIPVS, err := openIPVS()
	if err != nil {
		return err
	}
	defer closeIPVS()
	return agent.WriteStatus(w, agent.KernelStatusHeader(), h)
}

// run starts the agent: manager (cache, metrics, probes) + the agent runnable. Stopping it leaves
// the kernel as it is; the next start adopts that state without a flush.
func run(ctx context.Context, opts options) error {
	cfg, err := restConfig(opts.kubeconfig)
	if err != nil {
		return err
	}
	k, err := openPorts(opts)
	if err != nil {
		return err
	}
	defer k.close()
	mgr, err := ctrl.NewManager(cfg, managerOptions(opts))
	if err != nil {
		return err
	}
	health, err := setupAgent(mgr, k, opts)
	if err != nil {
		return err
	}
	if err := setupChecks(mgr, health); err != nil {
		return err
	}
	ctrl.Log.Info("Starting slicelb-node", "node", opts.nodeName, "scheduler", opts.scheduler,
		"minSyncPeriod", opts.minSyncPeriod, "syncPeriod", opts.syncPeriod)
	return mgr.Start(ctx)
}
