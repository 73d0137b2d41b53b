package guest

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

// countingIPVS counts the agent's IPVS reads (List* calls) and writes on the real kernel port.
// It forwards batches, so the agent batches exactly as it does on the bare port.
type countingIPVS struct {
	ipvs.Interface
	reads, writes int
}

func (c *countingIPVS) ListVirtualServers() ([]ipvs.VirtualServer, error) {
	c.reads++
	return c.Interface.ListVirtualServers()
}

func (c *countingIPVS) ListRealServers(key ipvs.VirtualServerKey) ([]ipvs.RealServer, error) {
	c.reads++
	return c.Interface.ListRealServers(key)
}

func (c *countingIPVS) AddVirtualServer(vs ipvs.VirtualServer) error {
	c.writes++
	return c.Interface.AddVirtualServer(vs)
}

func (c *countingIPVS) UpdateVirtualServer(vs ipvs.VirtualServer) error {
	c.writes++
	return c.Interface.UpdateVirtualServer(vs)
}

func (c *countingIPVS) DeleteVirtualServer(key ipvs.VirtualServerKey) error {
	c.writes++
	return c.Interface.DeleteVirtualServer(key)
}

func (c *countingIPVS) AddRealServer(key ipvs.VirtualServerKey, rs ipvs.RealServer) error {
	c.writes++
	return c.Interface.AddRealServer(key, rs)
}

func (c *countingIPVS) UpdateRealServer(key ipvs.VirtualServerKey, rs ipvs.RealServer) error {
	c.writes++
	return c.Interface.UpdateRealServer(key, rs)
}

func (c *countingIPVS) DeleteRealServer(key ipvs.VirtualServerKey, rs netip.AddrPort) error {
	c.writes++
	return c.Interface.DeleteRealServer(key, rs)
}

// WriteBatch counts every write of the batch and hands it to the kernel port in one go.
func (c *countingIPVS) WriteBatch(ws []ipvs.Write) []error {
	c.writes += len(ws)
	return ipvs.ApplyWrites(c.Interface, ws)
}

var _ ipvs.BatchWriter = (*countingIPVS)(nil)

// step is what one sync did to the kernel's IPVS port.
type step struct{ reads, writes int }

var _ = Describe("The kernel-table cache (FullResyncPeriod > 0, as slicelb-node runs) on a real kernel", func() {
	AfterEach(cleanupAgent)

	It("plans endpoint changes, no-ops and a drain from the cache: kernel == expectation, reads only where a drain needs counters", func() {
		vip := netip.MustParseAddrPort("10.96.0.45:80")
		key := vsKey("10.96.0.45", ipvs.TCP, 80)
		port := &countingIPVS{Interface: kernel.ipvs}
		newSyncer := func() *agent.Syncer {
			s, err := agent.NewSyncer(agent.SyncerOptions{IPVS: port, Netif: kernel.netif, NAT: kernel.nat,
				Conntrack: kernel.ct, NodeName: nodeName, FullResyncPeriod: time.Hour})
			Expect(err).NotTo(HaveOccurred())
			return s
		}
		web := func(eps ...ep) agent.Snapshot {
			return snapshot([]*corev1.Service{service("cached", "10.96.0.45", corev1.ProtocolTCP, 80)},
				endpointSlice("cached", corev1.ProtocolTCP, eps...))
		}
		sync := func(s *agent.Syncer, snap agent.Snapshot) step {
			GinkgoHelper()
			port.reads, port.writes = 0, 0
			res, err := s.Sync(context.Background(), snap, time.Now())
			Expect(err).NotTo(HaveOccurred())
			Expect(res.Errors).To(BeZero())
			return step{reads: port.reads, writes: port.writes}
		}
		// weights is the kernel's entry as "address=weight", read behind the agent's back.
		weights := func() map[string]int {
			GinkgoHelper()
			out := map[string]int{}
			for _, rs := range entry(key).RealServers {
				out[rs.Address.String()] = rs.Weight
			}
			return out
		}
		w := func(pairs ...any) map[string]int {
			out := map[string]int{}
			for i := 0; i < len(pairs); i += 2 {
				out[pairs[i].(*netlab.Host).IP.String()] = pairs[i+1].(int)
			}
			return out
		}

		s := newSyncer()
		first := sync(s, web(ready(pods[0]), ready(pods[1])))
		Expect(first.writes).To(Equal(3), "one virtual server, two real servers")
		Expect(weights()).To(Equal(w(pods[0], 1, pods[1], 1)))

		noop := sync(s, web(ready(pods[0]), ready(pods[1])))
		Expect(noop).To(Equal(step{}), "a no-op sync neither reads nor writes IPVS")

		added := sync(s, web(ready(pods[0]), ready(pods[1]), ready(pods[2])))
		Expect(added).To(Equal(step{writes: 1}), "one endpoint added: one write, no read")
		Expect(weights()).To(Equal(w(pods[0], 1, pods[1], 1, pods[2], 1)))

		// A removal with an open connection: the cached plan re-reads that virtual server's
		// counters (connections opened since the last read) and starts a drain.
		conn, greeting, err := netlab.Open(client.NS, vip)
		Expect(err).NotTo(HaveOccurred())
		var gone *netlab.Host
		var rest []ep
		for _, p := range pods[:3] {
			if p.Name == greeting.Name {
				gone = p
			} else {
				rest = append(rest, ready(p))
			}
		}
		Expect(gone).NotTo(BeNil())
		drainStart := sync(s, web(rest...))
		Expect(drainStart.writes).To(Equal(1), "weight 0 for the removed endpoint")
		Expect(drainStart.reads).To(BeNumerically(">=", 1), "the removal re-reads the real servers' counters")
		expect := w(gone, 0)
		for _, e := range rest {
			expect[e.pod.IP.String()] = 1
		}
		Expect(weights()).To(Equal(expect))
		draining := sync(s, web(rest...))
		Expect(draining.writes).To(BeZero())
		rep, err := conn.Ask()
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Name).To(Equal(gone.Name))

		// The connection closes: a cached sync sees the counters reach 0 and deletes the real server.
		Expect(conn.Reset()).To(Succeed())
		closed := time.Now()
		var end step
		Eventually(func() map[string]int {
			end = sync(s, web(rest...))
			return weights()
		}).WithTimeout(60 * time.Second).WithPolling(time.Second).Should(Equal(w(rest[0].pod, 1, rest[1].pod, 1)))
		Expect(end.writes).To(Equal(1))
		drainEnd := time.Since(closed)
		after := sync(s, web(rest...))
		Expect(after).To(Equal(step{}), "nothing drains any more: no reads")

		// A restart with the cache on: its first sync is a full read, and writes nothing.
		restart := sync(newSyncer(), web(rest...))
		Expect(restart.writes).To(BeZero())
		Expect(restart.reads).To(Equal(2), "one virtual-server dump + one real-server dump")
		measure("kernel-table cache (FullResyncPeriod 1h): %s; kernel == expectation after each step; drain ended %.1fs after the connection closed",
			fmt.Sprintf("first %+v, no-op %+v, +1 endpoint %+v, drain start %+v, draining %+v, drain end %+v, idle %+v, restart %+v",
				first, noop, added, drainStart, draining, end, after, restart), drainEnd.Seconds())
	})
})
