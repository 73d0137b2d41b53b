package reliability

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/gomega"

	"github.com/slicelb/slicelb/test/cluster"
	"github.com/slicelb/slicelb/test/utils"
)

// specLabel selects a spec's Services: each spec's controllers run with
// --service-selector=specLabel=<spec>.
const specLabel = "reliability.slicelb.io/spec"

// Election timing of the replicas (kube-controller-manager's defaults are 15s/10s/2s); shorter
// so that a failover fits the suite's time budget.
const (
	leaseDuration = 6 * time.Second
	renewDeadline = 4 * time.Second
	retryPeriod   = 1 * time.Second
)

// controllerOptions describe one slicelb-controller process of a spec.
type controllerOptions struct {
	// name is the process name (logs/NAME.log).
	name string
	// spec is the value of specLabel its Services carry.
	spec string
	// leaseNamespace, when set, turns leader election on with the Lease in that namespace.
	leaseNamespace string
	// proxy, when set, is the only way the process reaches the API server.
	proxy *utils.APIProxy
	extra []string
}

// startController runs the slicelb-controller binary as admin (directly, or through the proxy)
// and waits until it is ready (caches synced).
func startController(ctx context.Context, o controllerOptions) *cluster.Binary {
	kc := filepath.Join(suite.dir, o.name+".kubeconfig")
	if o.proxy != nil {
		Expect(o.proxy.WriteKubeconfig(kc)).To(Succeed())
	} else {
		Expect(suite.Cluster.Admin().Write(kc)).To(Succeed())
	}
	probe, err := cluster.FreePort()
	Expect(err).NotTo(HaveOccurred())
	args := []string{
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probe),
		"--metrics-bind-address=0",
		"--service-selector=" + specLabel + "=" + o.spec,
		"--kube-api-qps=200", "--kube-api-burst=400",
	}
	if o.leaseNamespace != "" {
		args = append(args, "--leader-elect", "--leader-election-namespace="+o.leaseNamespace,
			"--leader-elect-lease-duration="+leaseDuration.String(),
			"--leader-elect-renew-deadline="+renewDeadline.String(),
			"--leader-elect-retry-period="+retryPeriod.String())
	}
	args = append(args, o.extra...)
	p, err := suite.Cluster.StartProcess(cluster.ProcessOptions{
		Name: o.name, Path: suite.Controller, Args: args, Env: []string{"KUBECONFIG=" + kc},
	})
	Expect(err).NotTo(HaveOccurred())
	b := &cluster.Binary{Process: p, ProbePort: probe, Args: args}
	Expect(b.WaitReady(ctx, 60*time.Second)).To(Succeed())
	return b
}

// kill sends SIGKILL: no lease release, no graceful shutdown — a crashed or evicted replica.
func kill(b *cluster.Binary) {
	Expect(syscall.Kill(b.Pid(), syscall.SIGKILL)).To(Succeed())
	Eventually(b.Done()).WithTimeout(10 * time.Second).Should(BeClosed())
}

// stop ends a controller gracefully at the end of a spec; it must still be running (a crash
// during the spec is a failure).
func stop(b *cluster.Binary) {
	exited, err := b.Exited()
	Expect(exited).To(BeFalse(), "the controller exited during the spec (%v); see %s", err, b.LogPath())
	Expect(b.Stop(10 * time.Second)).To(Succeed())
}
