package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/slicelb/slicelb/test/bench/nodebench"
	"github.com/slicelb/slicelb/test/bench/progress"
	"github.com/slicelb/slicelb/test/bench/report"
	"github.com/slicelb/slicelb/test/vm/harness"
)

// nodeAgentsScenario runs kube-proxy and slicelb-node end to end in one VM boot (test/bench/nodebench).
func nodeAgentsScenario(ctx context.Context, o options, work string, res *report.Results) {
	n, m := 10000, 10
	// Under emulation (no KVM) kube-proxy's first sync of 10,000 Services alone ran for over 20
	// minutes (its whole run, with the counting pass and slicelb-node's, well over an hour), so
	// the default there is 1,000; the report says when the size is not the issue's.
	if o.quick || harness.ChooseAccel() == "tcg" {
		n = 1000
	}
	if o.agentServices > 0 {
		n = o.agentServices
	}
	bar := progress.New(os.Stderr, 1)
	defer bar.Finish()
	bar.Step(fmt.Sprintf("node agents: kube-proxy and slicelb-node, %d Services × %d endpoints, in the VM", n, m))
	nb, err := nodebench.Run(ctx, nodebench.Options{Services: n, Endpoints: m, AssetsDir: o.assets, VMAssets: o.vmAssets,
		KubeProxy: o.kubeProxyBin, Node: o.nodeBin, Work: filepath.Join(work, "nodeagents"),
		Say: func(format string, args ...any) { bar.Detail(format, args...) }})
	bar.Done()
	if err != nil {
		nb.Error = err.Error()
		fmt.Fprintf(os.Stderr, "\nnode agents: %v\n", err)
	}
	res.NodeAgents = &nb
}
