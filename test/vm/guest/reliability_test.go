package guest

import (
	"net/netip"
	gosync "sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

// loop makes short connections to addr from the client until stopped, counting them per phase.
type loop struct {
	phase     atomic.Int32
	ok, lost  [3]atomic.Int64
	stop      chan struct{}
	stopOnce  gosync.Once
	wg        gosync.WaitGroup
	lastError atomic.Value
}

func startLoop(addr netip.AddrPort) *loop {
	l := &loop{stop: make(chan struct{})}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for {
			select {
			case <-l.stop:
				return
			default:
			}
			p := l.phase.Load()
			if _, err := netlab.TCP(client.NS, addr); err != nil {
				l.lost[p].Add(1)
				l.lastError.Store(err.Error())
			} else {
				l.ok[p].Add(1)
			}
		}
	}()
	return l
}

// end stops the loop and waits for its last connection; later calls do nothing.
func (l *loop) end() {
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
}

var _ = Describe("Node agent faults on a real kernel (agent as a separate process)", func() {
	// AfterEach nodes run in order: no agent process may sync again once --cleanup ran.
	AfterEach(killAgentProcesses)
	AfterEach(cleanupAgent)

	It("SIGKILL during a steady connection loop: 0 connections fail while it is down and after it returns", func() {
		vip := netip.MustParseAddrPort("10.96.0.80:80")
		snap := snapshot([]*corev1.Service{service("steady", "10.96.0.80", corev1.ProtocolTCP, 80)},
			endpointSlice("steady", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), ready(pods[2])))
		first, writes := startAgentProcess(snap)
		Expect(writes).To(BeNumerically(">", 0))

		// Each phase lasts until the loop made enough connections in it (under TCG on a busy host a
		// fixed time can hold almost none): agent up, agent killed (until the new one has synced),
		// new agent up.
		const perPhase = 10
		l := startLoop(vip)
		DeferCleanup(l.end)
		enough := func(p int) {
			GinkgoHelper()
			Eventually(l.ok[p].Load).WithTimeout(60*time.Second).WithPolling(50*time.Millisecond).
				Should(BeNumerically(">=", perPhase), "phase %d", p)
		}
		enough(0)
		syncsBefore := first.syncs()
		killedAt := time.Now()
		how := first.kill()
		l.phase.Store(1) // no agent
		enough(1)
		second, restartWrites := startAgentProcess(snap)
		down := time.Since(killedAt)
		l.phase.Store(2) // the new agent runs
		enough(2)
		l.end()
		second.kill()

		measure("agent process SIGKILLed (%s) after %d syncs during a connection loop: ok/failed with agent up %d/%d, while down (%.1fs) %d/%d, after restart %d/%d; restarted agent's first sync wrote %d",
			how, syncsBefore, l.ok[0].Load(), l.lost[0].Load(), down.Seconds(), l.ok[1].Load(), l.lost[1].Load(),
			l.ok[2].Load(), l.lost[2].Load(), restartWrites)
		Expect(how).To(Equal("signal: killed"))
		for p := range 3 {
			Expect(l.lost[p].Load()).To(BeZero(), "phase %d: last error %v", p, l.lastError.Load())
		}
		Expect(restartWrites).To(BeZero())
	})

	It("converges from a previous run's stale kernel state without flushing: open connection and counters survive", func() {
		aVIP := netip.MustParseAddrPort("10.96.0.81:80")
		aKey := vsKey("10.96.0.81", ipvs.TCP, 80)
		bKey := vsKey("10.96.0.82", ipvs.TCP, 80)
		svcA := service("kept", "10.96.0.81", corev1.ProtocolTCP, 80)
		svcB := service("removed", "10.96.0.82", corev1.ProtocolTCP, 80)

		// The previous run: A on pod-1..3, B on pod-4; then it dies by SIGKILL.
		previous, _ := startAgentProcess(snapshot([]*corev1.Service{svcA, svcB},
			endpointSlice("kept", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), ready(pods[2])),
			endpointSlice("removed", corev1.ProtocolTCP, ready(pods[3]))))
		conn, greeting, err := netlab.Open(client.NS, aVIP)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func() { _ = conn.Reset() })
		Expect(previous.kill()).To(Equal("signal: killed"))

		// While no agent ran: B was deleted, one of A's endpoints left (the extra real server has no
		// connection), and someone set a wrong weight on the real server carrying the open connection.
		var connected ipvs.RealServer
		for _, rs := range entry(aKey).RealServers {
			if rs.ActiveConns == 1 {
				connected = rs
			}
		}
		Expect(connected.Address.IsValid()).To(BeTrue(), "the open connection is on no real server: %v", entry(aKey))
		wrong := connected
		wrong.Weight = 7
		Expect(kernel.ipvs.UpdateRealServer(aKey, wrong)).To(Succeed())
		stale := table()
		// The new snapshot keeps the connected pod and the first other one; the third is extra.
		var keep []ep
		var extra *netlab.Host
		others := 0
		for _, p := range pods[:3] {
			switch {
			case p.IP == connected.Address:
				keep = append(keep, ready(p))
			case others == 0:
				keep = append(keep, ready(p))
				others++
			default:
				extra = p
			}
		}
		Expect(keep).To(HaveLen(2))
		Expect(extra).NotTo(BeNil())

		// The new agent sees only A, on the connected pod and one other.
		_, writes := startAgentProcess(snapshot([]*corev1.Service{svcA},
			endpointSlice("kept", corev1.ProtocolTCP, keep...)))
		Eventually(func() bool { _, ok := table().Get(bKey); return ok }).WithTimeout(10*time.Second).Should(BeFalse(),
			"the removed Service's virtual server is deleted")
		Eventually(kernel.netif.Addresses).WithTimeout(10 * time.Second).Should(Equal([]netip.Addr{aVIP.Addr()}))

		want := map[string][2]int{} // address -> weight, active connections
		for _, e := range keep {
			want[e.pod.IP.String()] = [2]int{1, 0}
		}
		want[connected.Address.String()] = [2]int{1, 1} // weight repaired in place, counter kept
		var got map[string][2]int
		Eventually(func() map[string][2]int {
			got = map[string][2]int{}
			for _, rs := range entry(aKey).RealServers {
				got[rs.Address.String()] = [2]int{rs.Weight, rs.ActiveConns}
			}
			return got
		}).WithTimeout(10*time.Second).Should(Equal(want), "the extra real server %s (no connection) is deleted", extra.IP)
		rep, err := conn.Ask()
		Expect(err).NotTo(HaveOccurred())
		measure("stale state from a SIGKILLed run (%d virtual servers: removed Service's VS, extra real server %s, weight 7 on %s): new agent process's first sync wrote %d; now address -> [weight active] %v; open connection to %s answered by %s",
			len(stale), extra.IP, connected.Address, writes, got, greeting.Name, rep.Name)
		Expect(rep.Name).To(Equal(greeting.Name))
	})
})
