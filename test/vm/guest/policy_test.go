package guest

import (
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/internal/policy"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

// lbPolicy is a LoadBalancingPolicy as the API server would hand it to the agent's cache.
func lbPolicy(name string, scheduler v1alpha1.Scheduler, targets ...string) *v1alpha1.LoadBalancingPolicy {
	p := &v1alpha1.LoadBalancingPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name,
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))},
		Spec: v1alpha1.LoadBalancingPolicySpec{Scheduler: scheduler},
	}
	for _, t := range targets {
		p.Spec.TargetRefs = append(p.Spec.TargetRefs, v1alpha1.LocalServiceReference{Kind: "Service", Name: t})
	}
	return p
}

// withPolicies resolves the policies exactly as slicelb-node does (agent.CachedPolicies: the
// controller's resolver, then the proxier mapping) and puts the result in the snapshot.
func withPolicies(snap agent.Snapshot, ps ...*v1alpha1.LoadBalancingPolicy) agent.Snapshot {
	snap.Policies = agent.ProxierPolicies(policy.Overrides(ps, nil))
	return snap
}

var _ = Describe("LoadBalancingPolicy schedulers on a real kernel", func() {
	AfterEach(cleanupAgent)

	It("sh: one client reaches one backend for all its connections; another client address hashes on its own", func() {
		vip := netip.MustParseAddrPort("10.96.0.70:80")
		svc := service("hashed", "10.96.0.70", corev1.ProtocolTCP, 80)
		snap := withPolicies(snapshot([]*corev1.Service{svc},
			endpointSlice("hashed", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), ready(pods[2]))),
			lbPolicy("hash", v1alpha1.SchedulerSourceHashing, "hashed"))
		apply(startAgent(), snap)
		Expect(entry(vsKey("10.96.0.70", ipvs.TCP, 80)).VirtualServer.Scheduler).To(Equal("sh"))

		second, err := netlab.NewHost(rootNS, "client-2", 201)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { Expect(second.Close(rootNS)).To(Succeed()) })

		const n = 20
		first := split(vip, n)
		other := netlab.Split(second.NS, vip, n)
		measure("sh (LoadBalancingPolicy): %d connections from %s: %s; %d from %s: %s",
			n, client.IP, netlab.Format(first), n, second.IP, netlab.Format(other))
		Expect(first).To(HaveLen(1), "every connection of one source address goes to one backend")
		Expect(first).NotTo(HaveKey("error"))
		Expect(other).To(HaveLen(1), "every connection of one source address goes to one backend")
		Expect(other).NotTo(HaveKey("error"))
	})

	It("lc: new connections go to the backends with the fewest active connections, held-open ones counted", func() {
		vip := netip.MustParseAddrPort("10.96.0.71:80")
		key := vsKey("10.96.0.71", ipvs.TCP, 80)
		svc := service("least", "10.96.0.71", corev1.ProtocolTCP, 80)
		lc := lbPolicy("least", v1alpha1.SchedulerLeastConnection, "least")
		s := startAgent()
		var held []*netlab.Conn
		DeferCleanup(func() {
			for _, c := range held {
				_ = c.Reset()
			}
		})
		hold := func(k int) map[string]int {
			got := map[string]int{}
			for range k {
				c, greeting, err := netlab.Open(client.NS, vip)
				Expect(err).NotTo(HaveOccurred())
				held = append(held, c)
				got[greeting.Name]++
			}
			return got
		}

		// K connections held open to pod-1, the only endpoint at first.
		const k = 3
		apply(s, withPolicies(snapshot([]*corev1.Service{svc},
			endpointSlice("least", corev1.ProtocolTCP, ready(pods[0]))), lc))
		Expect(hold(k)).To(Equal(map[string]int{pods[0].Name: k}))

		// Two more endpoints: lc sends the next 2K connections to them (0 active each) until every
		// backend holds K; rr would have sent a third of them to pod-1.
		apply(s, withPolicies(snapshot([]*corev1.Service{svc},
			endpointSlice("least", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), ready(pods[2]))), lc))
		Expect(entry(key).VirtualServer.Scheduler).To(Equal("lc"))
		next := hold(2 * k)
		active := map[string]int{}
		for _, rs := range entry(key).RealServers {
			active[rs.Address.String()] = rs.ActiveConns
		}
		measure("lc (LoadBalancingPolicy): %d connections held on %s, then %d new held connections went %s; kernel active connections %v",
			k, pods[0].Name, 2*k, netlab.Format(next), active)
		Expect(next).To(Equal(map[string]int{pods[1].Name: k, pods[2].Name: k}))
		Expect(active).To(Equal(map[string]int{pods[0].IP.String(): k, pods[1].IP.String(): k, pods[2].IP.String(): k}))
	})

	It("rr -> sh on a live Service is one in-place update: the open connection and its counters survive", func() {
		vip := netip.MustParseAddrPort("10.96.0.72:80")
		key := vsKey("10.96.0.72", ipvs.TCP, 80)
		snap := snapshot([]*corev1.Service{service("switch", "10.96.0.72", corev1.ProtocolTCP, 80)},
			endpointSlice("switch", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), ready(pods[2])))
		s := startAgent()
		apply(s, snap)
		Expect(entry(key).VirtualServer.Scheduler).To(Equal("rr"))
		conn, greeting, err := netlab.Open(client.NS, vip)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = conn.Reset() })

		res := apply(s, withPolicies(snap, lbPolicy("switch", v1alpha1.SchedulerSourceHashing, "switch")))
		e := entry(key)
		Expect(e.VirtualServer.Scheduler).To(Equal("sh"))
		Expect(res.Writes).To(Equal(1), "one UpdateVirtualServer, no delete/re-add")
		connected := 0
		for _, rs := range e.RealServers {
			connected += rs.ActiveConns
		}
		Expect(connected).To(Equal(1), "the open connection's IPVS entry is kept")
		rep, err := conn.Ask()
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Name).To(Equal(greeting.Name))
		after := split(vip, 10)
		measure("rr -> sh in place: %d kernel write(s); open connection to %s still answered by %s; active connections after %d; new connections %s",
			res.Writes, greeting.Name, rep.Name, connected, netlab.Format(after))
		Expect(after).To(HaveLen(1))
	})
})
