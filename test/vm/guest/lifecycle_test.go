package guest

import (
	"net/netip"
	gosync "sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

var _ = Describe("The agent's life cycle on a real kernel", func() {
	AfterEach(cleanupAgent)

	vip := netip.MustParseAddrPort("10.96.0.40:80")
	key := vsKey("10.96.0.40", ipvs.TCP, 80)
	web := func(eps ...ep) agent.Snapshot {
		return snapshot([]*corev1.Service{service("web", "10.96.0.40", corev1.ProtocolTCP, 80)},
			endpointSlice("web", corev1.ProtocolTCP, eps...))
	}
	realServer := func(addr netip.Addr) (ipvs.RealServer, bool) {
		e, ok := table().Get(key)
		Expect(ok).To(BeTrue())
		for _, rs := range e.RealServers {
			if rs.Address == addr {
				return rs, true
			}
		}
		return ipvs.RealServer{}, false
	}

	It("keeps an open connection to a removed endpoint (also across an agent restart), sends new ones elsewhere, and deletes the real server once it closes", func() {
		s := startAgent()
		apply(s, web(ready(pods[0]), ready(pods[1])))
		conn, greeting, err := netlab.Open(client.NS, vip)
		Expect(err).NotTo(HaveOccurred())
		gone, kept := pods[0], pods[1]
		if greeting.Name == pods[1].Name {
			gone, kept = pods[1], pods[0]
		}

		apply(s, web(ready(kept)))
		rs, ok := realServer(gone.IP)
		Expect(ok).To(BeTrue(), "the removed endpoint's real server must drain, not vanish")
		Expect(rs.Weight).To(BeZero())
		Expect(rs.ActiveConns).To(Equal(1))

		// An agent restart in the middle of the drain: the new agent finds the weight-0 real server
		// that no endpoint wants and rebuilds the drain from the kernel, so it neither deletes it under
		// the open connection nor writes anything.
		s = startAgent()
		Expect(apply(s, web(ready(kept))).Writes).To(BeZero())
		rs, ok = realServer(gone.IP)
		Expect(ok).To(BeTrue(), "a restarted agent must keep draining, not delete")
		Expect(rs.Weight).To(BeZero())

		rep, err := conn.Ask()
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Name).To(Equal(gone.Name))
		counts := split(vip, 10)
		Expect(counts).To(Equal(map[string]int{kept.Name: 10}))

		Expect(conn.Reset()).To(Succeed())
		closed := time.Now()
		Eventually(func() bool {
			apply(s, web(ready(kept)))
			_, present := realServer(gone.IP)
			return present
		}).WithTimeout(60 * time.Second).WithPolling(time.Second).Should(BeFalse())
		measure("drain: open connection kept answering from %s after removal; new connections %s; real server deleted %.1fs after the connection closed",
			gone.Name, netlab.Format(counts), time.Since(closed).Seconds())
	})

	It("never touches a virtual server it did not create, through sync, restart and --cleanup", func() {
		foreign := ipvs.VirtualServer{Address: netip.MustParseAddr("10.96.99.99"), Protocol: ipvs.TCP, Port: 80, Scheduler: "wlc"}
		Expect(kernel.ipvs.AddVirtualServer(foreign)).To(Succeed())
		DeferCleanup(func() { Expect(kernel.ipvs.DeleteVirtualServer(foreign.Key())).To(Succeed()) })
		Expect(kernel.ipvs.AddRealServer(foreign.Key(), ipvs.RealServer{Address: pods[3].IP, Port: podPort, Weight: 3})).To(Succeed())
		before, ok := table().Get(foreign.Key())
		Expect(ok).To(BeTrue())

		apply(startAgent(), web(ready(pods[0]), ready(pods[1])))
		Expect(entry(foreign.Key())).To(Equal(before))
		restarted := apply(startAgent(), web(ready(pods[0]), ready(pods[1])))
		Expect(restarted.Writes).To(BeZero())
		// Every Service deleted: the agent removes its own virtual server, not the foreign one.
		apply(startAgent(), snapshot(nil))
		Expect(table()).To(Equal(ipvs.Table{before}))

		apply(startAgent(), web(ready(pods[0])))
		cleanupAgent()
		measure("foreign virtual server %s -> %s unchanged after sync, restart, empty sync and --cleanup (%d entries left)",
			before.VirtualServer.Key(), before.RealServers[0].AddrPort(), len(table()))
		Expect(table()).To(Equal(ipvs.Table{before}))
	})

	It("loses no connection while the agent restarts during a steady connection loop", func() {
		snap := web(ready(pods[0]), ready(pods[1]), ready(pods[2]))
		apply(startAgent(), snap)

		var done, lost atomic.Int64
		stop := make(chan struct{})
		var wg gosync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := netlab.TCP(client.NS, vip); err != nil {
					lost.Add(1)
				} else {
					done.Add(1)
				}
			}
		}()
		restarts, writes := 5, 0
		for range restarts {
			time.Sleep(300 * time.Millisecond)
			// The previous Syncer is dropped as a stopped agent would be; the kernel keeps its state.
			writes += apply(startAgent(), snap).Writes
		}
		time.Sleep(300 * time.Millisecond)
		close(stop)
		wg.Wait()
		measure("agent restarted %d times during a connection loop: %d connections ok, connections lost = %d, kernel writes by the restarted agents = %d",
			restarts, done.Load(), lost.Load(), writes)
		Expect(lost.Load()).To(BeZero())
		Expect(done.Load()).To(BeNumerically(">=", 20))
		Expect(writes).To(BeZero())
	})
})
