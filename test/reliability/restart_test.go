package reliability

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// API server restart: kube-apiserver is stopped (SIGTERM) and started again on the same port and
// etcd while workers change pods. The controller's watches break, its writes fail; when the
// server is back it must relist, resync and end with exactly what a fresh computation gives.
var _ = Describe("API server restart during a burst of pod changes", Ordered, func() {
	const spec, ns = "restart", "rel-restart"
	apps := []string{"web-0", "web-1", "web-2", "web-3", "web-4"}

	It("recovers and converges to a fresh computation with no duplicate slices", func(ctx SpecContext) {
		createNamespace(ctx, ns)
		for _, a := range apps {
			Expect(suite.Client.Create(ctx, service(spec, ns, a))).To(Succeed())
		}
		c, err := seedPods(ctx, ns, apps, 8)
		Expect(err).NotTo(HaveOccurred())
		// One replica without leader election: with it, an outage longer than the renew deadline
		// makes the process exit on purpose ("leader election lost", as kube-controller-manager
		// does) and the failover spec covers that path; here the process itself must recover.
		ctl := startController(ctx, controllerOptions{name: "restart-controller", spec: spec})
		defer stop(ctl)
		Eventually(func(g Gomega) {
			v, err := judgeAll(ctx, ns, apps, 100)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v.ok()).To(BeTrue(), "%s", v)
		}).Should(Succeed())

		By("changing pods from 4 workers and restarting kube-apiserver in the middle")
		c.start(ctx, 4, 50*time.Millisecond)
		time.Sleep(3 * time.Second)
		down := time.Now()
		Expect(suite.Cluster.RestartAPIServer(3 * time.Second)).To(Succeed())
		back := time.Now()
		record("restart: API server unavailable", "%v", back.Sub(down).Round(100*time.Millisecond))
		time.Sleep(4 * time.Second)
		c.stop()
		stopped := time.Now()

		var v verdict
		Eventually(func(g Gomega) {
			v, err = judgeAll(ctx, ns, apps, 100)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v.ok()).To(BeTrue(), "%s", v)
		}).Should(Succeed())
		exited, _ := ctl.Exited()
		Expect(exited).To(BeFalse(), "the controller must survive the restart without being restarted itself")
		record("restart: pod changes (failed while down)", "%d (%d)", c.ops.Load(), c.errs.Load())
		record("restart: converged after API server back / after last change", "%v / %v",
			time.Since(back).Round(100*time.Millisecond), time.Since(stopped).Round(100*time.Millisecond))
		record("restart: duplicate endpoints / lost endpoints", "%d / %d (slices %d, fresh packing %d)",
			v.DuplicateEndpoints, v.Lost, v.Slices, v.DesiredSlices)
		Expect(c.errs.Load()).To(BeNumerically(">", 0), "the restart must have hit the burst (some changes failed while it was down)")
	}, SpecTimeout(3*time.Minute))
})
