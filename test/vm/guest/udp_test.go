package guest

import (
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

// conntrackFlows counts the node's conntrack entries from the UDP virtual server to the real server.
func conntrackFlows(vs ipvs.VirtualServerKey, rs netip.AddrPort) int {
	GinkgoHelper()
	flows, err := netlink.ConntrackTableList(netlink.ConntrackTable, netlink.FAMILY_V4)
	Expect(err).NotTo(HaveOccurred())
	n := 0
	for _, f := range flows {
		if (conntrack.Filter{VirtualServer: vs, RealServer: rs}).MatchConntrackFlow(f) {
			n++
		}
	}
	return n
}

var _ = Describe("UDP Services programmed by the agent", func() {
	AfterEach(cleanupAgent)

	It("round-trips UDP through the VIP and clears the conntrack entries of a removed UDP endpoint", func() {
		svc := []*corev1.Service{service("dns", "10.96.0.30", corev1.ProtocolUDP, 53)}
		key := vsKey("10.96.0.30", ipvs.UDP, 53)
		s := startAgent()
		apply(s, snapshot(svc, endpointSlice("dns", corev1.ProtocolUDP, ready(pods[0]), ready(pods[1]))))

		u, err := netlab.OpenUDP(client.NS, netip.MustParseAddrPort("10.96.0.30:53"))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(u.Close)
		start := time.Now()
		first, err := u.Ask(netlab.Timeout)
		Expect(err).NotTo(HaveOccurred())
		rtt := time.Since(start)
		gone, kept := pods[0], pods[1]
		if first.Name == pods[1].Name {
			gone, kept = pods[1], pods[0]
		}
		// One flow (fixed source port) stays on one endpoint.
		for range 5 {
			rep, err := u.Ask(netlab.Timeout)
			Expect(err).NotTo(HaveOccurred())
			Expect(rep.Name).To(Equal(gone.Name))
		}
		goneRS := netip.AddrPortFrom(gone.IP, podPort)
		before := conntrackFlows(key, goneRS)
		Expect(before).To(BeNumerically(">=", 1))

		apply(s, snapshot(svc, endpointSlice("dns", corev1.ProtocolUDP, ready(kept))))
		after := conntrackFlows(key, goneRS)
		Expect(after).To(BeZero())
		Expect(entry(key)).To(HaveField("RealServers", HaveLen(1)))

		// The same flow now reaches the remaining endpoint (a datagram may be dropped while IPVS
		// expires its entry for the deleted real server).
		Eventually(func() string {
			rep, err := u.Ask(time.Second)
			if err != nil {
				return err.Error()
			}
			return rep.Name
		}).WithTimeout(10 * time.Second).Should(Equal(kept.Name))
		measure("UDP through 10.96.0.30:53: first answer from %s in %s; conntrack entries to the removed endpoint %d -> %d; flow moved to %s",
			first.Name, rtt.Round(time.Microsecond), before, after, kept.Name)
	})
})
