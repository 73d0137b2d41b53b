package reliability

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slicelb/slicelb/test/utils"
)

// watchDelay is how long the proxy holds every watch event on its way to the controller.
const watchDelay = 2 * time.Second

// Stale cache: the controller's watches go through a proxy that holds every event for
// watchDelay, so its cache lags the API server by that much — including its own writes (a
// slice it just created is not in its cache yet). Small slices (5 endpoints) make every change
// move endpoints between slices. Sampled all along and judged at the end: no endpoint may be
// in two of our slices, none may be lost.
var _ = Describe("Stale cache (delayed watch)", Ordered, func() {
	const spec, ns = "stale", "rel-stale"
	apps := []string{"cart-0", "cart-1", "cart-2", "cart-3"}
	const maxPerSlice = 5

	It("produces no duplicate slices and loses no endpoint", func(ctx SpecContext) {
		createNamespace(ctx, ns)
		for _, a := range apps {
			Expect(suite.Client.Create(ctx, service(spec, ns, a))).To(Succeed())
		}
		c, err := seedPods(ctx, ns, apps, 12)
		Expect(err).NotTo(HaveOccurred())
		proxy, err := utils.NewAPIProxy(suite.Cluster.Config)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(proxy.Close)
		ctl := startController(ctx, controllerOptions{name: "stale-controller", spec: spec, proxy: proxy,
			extra: []string{"--max-endpoints-per-slice=5"}})
		defer stop(ctl)
		judgeN := func(g Gomega) verdict {
			v, err := judgeAll(ctx, ns, apps, maxPerSlice)
			g.Expect(err).NotTo(HaveOccurred())
			return v
		}
		Eventually(func(g Gomega) { v := judgeN(g); g.Expect(v.ok()).To(BeTrue(), "%s", v) }).Should(Succeed())

		By("delaying every watch event by " + watchDelay.String() + " and changing pods")
		proxy.SetWatchDelay(watchDelay)
		c.start(ctx, 3, 60*time.Millisecond)
		samples, dupSamples, maxDup := sampleDuplicates(ctx, ns, apps, maxPerSlice, 10*time.Second)
		c.stop()
		start := time.Now()
		var v verdict
		Eventually(func(g Gomega) { v = judgeN(g); g.Expect(v.ok()).To(BeTrue(), "%s", v) }).Should(Succeed())
		record("stale cache: pod changes with watch delay", "%d (delay %v)", c.ops.Load(), watchDelay)
		record("stale cache: samples with a duplicated endpoint", "%d of %d (max %d)", dupSamples, samples, maxDup)
		record("stale cache: converged after churn", "%v", time.Since(start).Round(100*time.Millisecond))
		record("stale cache: duplicate endpoints / lost endpoints", "%d / %d (slices %d, fresh packing %d)",
			v.DuplicateEndpoints, v.Lost, v.Slices, v.DesiredSlices)
		Expect(dupSamples).To(BeZero(), "an endpoint was in two of our slices while the cache was stale")
	}, SpecTimeout(3*time.Minute))
})

// sampleDuplicates judges the Services every 250ms for d and counts the samples in which some
// endpoint appeared in two of our slices (lost endpoints are expected while pods change: the
// controller has not caught up yet; duplicates are never acceptable).
func sampleDuplicates(ctx context.Context, namespace string, names []string, maxPerSlice int, d time.Duration) (samples, withDup, maxDup int) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		v, err := judgeAll(ctx, namespace, names, maxPerSlice)
		if err == nil {
			samples++
			if v.DuplicateEndpoints > 0 {
				withDup++
				maxDup = max(maxDup, v.DuplicateEndpoints)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return samples, withDup, maxDup
}
