package reliability

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slicelb/slicelb/test/cluster"
	"github.com/slicelb/slicelb/test/utils"
)

// leasePath is the path fragment of the election Lease.
const leasePath = "/leases/slicelb-controller.slicelb.io"

// objectWrite reports whether a request wrote (or tried to write) an Endpoints or EndpointSlice.
func objectWrite(r utils.ProxiedRequest) bool {
	return r.Write() && (strings.Contains(r.Path, "/endpointslices") || strings.Contains(r.Path, "/endpoints"))
}

// leaseWon reports whether a request was a successful write of the Lease: only the leader writes
// it (a follower reads it and waits), so the first one from a replica is its takeover.
func leaseWon(r utils.ProxiedRequest) bool {
	return r.Write() && r.Status < http.StatusMultipleChoices && strings.Contains(r.Path, leasePath)
}

// Leader failover: two replicas of the real binary, each behind its own recording proxy, so that
// every request is attributed to the replica that sent it. The leader is killed with SIGKILL
// during churn (no lease release). The follower must take over within the lease duration (plus
// the retry period in which it notices), and no Endpoints/EndpointSlice may be written by the old
// leader after the new one started writing: the per-replica request logs prove it.
var _ = Describe("Leader failover", Ordered, func() {
	const spec, ns = "failover", "rel-failover"
	apps := []string{"api-0", "api-1", "api-2", "api-3", "api-4"}

	It("hands over within the lease duration and no object is written by both replicas", func(ctx SpecContext) {
		createNamespace(ctx, ns)
		for _, a := range apps {
			Expect(suite.Client.Create(ctx, service(spec, ns, a))).To(Succeed())
		}
		c, err := seedPods(ctx, ns, apps, 6)
		Expect(err).NotTo(HaveOccurred())
		proxies := map[string]*utils.APIProxy{}
		replicas := map[string]*cluster.Binary{}
		for _, name := range []string{"replica-a", "replica-b"} {
			p, err := utils.NewAPIProxy(suite.Cluster.Config)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(p.Close)
			proxies[name] = p
			replicas[name] = startController(ctx, controllerOptions{name: name, spec: spec, leaseNamespace: ns, proxy: p})
			if name == "replica-a" {
				// A leads: it was alone when it started.
				Eventually(func() int { return len(utils.Matching(p.Requests(), leaseWon)) }).Should(BeNumerically(">", 0))
			}
		}
		Eventually(func(g Gomega) {
			v, err := judgeAll(ctx, ns, apps, 100)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v.ok()).To(BeTrue(), "%s", v)
		}).Should(Succeed())
		Expect(utils.Matching(proxies["replica-b"].Requests(), func(r utils.ProxiedRequest) bool {
			return objectWrite(r) || leaseWon(r)
		})).To(BeEmpty(), "the follower must not write while the leader lives")

		By("killing the leader (SIGKILL) during churn")
		c.start(ctx, 3, 100*time.Millisecond)
		time.Sleep(3 * time.Second)
		killed := time.Now()
		kill(replicas["replica-a"])
		var takeover time.Time
		Eventually(func() bool {
			for _, r := range utils.Matching(proxies["replica-b"].Requests(), leaseWon) {
				takeover = r.At
				return true
			}
			return false
		}).WithTimeout(3 * leaseDuration).Should(BeTrue())
		time.Sleep(3 * time.Second)
		c.stop()

		var v verdict
		Eventually(func(g Gomega) {
			v, err = judgeAll(ctx, ns, apps, 100)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(v.ok()).To(BeTrue(), "%s", v)
		}).Should(Succeed())

		aReqs, bReqs := proxies["replica-a"].Requests(), proxies["replica-b"].Requests()
		var lastRenewal time.Time
		for _, r := range utils.Matching(aReqs, leaseWon) {
			if r.At.After(lastRenewal) {
				lastRenewal = r.At
			}
		}
		bWrites := utils.Matching(bReqs, objectWrite)
		Expect(bWrites).NotTo(BeEmpty(), "the new leader must have written during the churn")
		firstB := bWrites[0].At
		for _, r := range bWrites {
			if r.At.Before(firstB) {
				firstB = r.At
			}
		}
		aWrites := utils.Matching(aReqs, objectWrite)
		late := utils.Matching(aWrites, func(r utils.ProxiedRequest) bool { return !r.At.Before(firstB) })
		// Objects (paths) written by both replicas: allowed only as a hand-over (all of A's
		// writes before B's first); counted for the record.
		byA := map[string]bool{}
		for _, r := range aWrites {
			byA[r.Path] = true
		}
		both := map[string]bool{}
		for _, r := range bWrites {
			if byA[r.Path] {
				both[r.Path] = true
			}
		}
		record("failover: takeover after SIGKILL", "%v (lease %v, retry %v, bound lease+2×2.2×retry+1s = %v)",
			takeover.Sub(killed).Round(10*time.Millisecond), leaseDuration, retryPeriod, leaseDuration+time.Duration(4.4*float64(retryPeriod))+time.Second)
		record("failover: takeover after old leader's last renewal", "%v", takeover.Sub(lastRenewal).Round(10*time.Millisecond))
		record("failover: writes by old leader after new leader's first", "%d (A wrote %d, B wrote %d; objects handed over %d)",
			len(late), len(aWrites), len(bWrites), len(both))
		record("failover: duplicate endpoints / lost endpoints", "%d / %d (slices %d, fresh packing %d)",
			v.DuplicateEndpoints, v.Lost, v.Slices, v.DesiredSlices)
		Expect(late).To(BeEmpty(), "the old leader wrote after the new leader started writing")
		// client-go's follower counts the lease duration from when it *observed* the last renewal
		// and polls every retry period with up to 120% jitter: it notices the renewal at most
		// maxPoll late and tries again at most maxPoll after expiry. One second of slack covers
		// the API round trips on a loaded 2-core CI machine.
		maxPoll := time.Duration(float64(retryPeriod) * 2.2)
		bound := leaseDuration + 2*maxPoll + time.Second
		Expect(takeover.Sub(lastRenewal)).To(BeNumerically("<=", bound))
		Expect(takeover.Sub(killed)).To(BeNumerically("<=", bound))
		stop(replicas["replica-b"])
	}, SpecTimeout(3*time.Minute))
})
