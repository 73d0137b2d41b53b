package e2e

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slicelb/slicelb/test/vmnode"
)

// agentMetricsArgs enable the VM agent's metrics on the guest's loopback, plain HTTP: the guest's
// control endpoint relays them (vmnode.Node.AgentMetrics), nothing else reaches that address.
var agentMetricsArgs = []string{"--metrics-bind-address=127.0.0.1:10259", "--metrics-secure=false"}

// trafficBatch is one call of the connection loop: its attempts ran between start and end.
type trafficBatch struct {
	start, end time.Time
	replies    []string
}

// agentKillSpec: the real slicelb-node in the VM gets SIGKILL during a steady connection loop
// through a ClusterIP; the guest restarts it as a DaemonSet would. The kernel keeps serving the
// virtual servers meanwhile (IPVS state lives in the kernel, not in the agent), and the restarted
// agent adopts that state: no connection fails, and its first sync writes nothing.
func agentKillSpec(node func() *vmnode.Node) {
	It("keeps every connection through a ClusterIP while slicelb-node is SIGKILLed and restarted", func(ctx SpecContext) {
		n := node()
		// "late" (the web pods, created after the agent started) is the Service of the loop.
		target := svcTarget(ctx, "late")
		Eventually(ctx, func() []string { return errorsIn(get(ctx, n, target, 3)) }).Should(BeEmpty())
		before, err := n.AgentMetrics(ctx)
		Expect(err).NotTo(HaveOccurred())
		writesBefore := netlinkWrites(before)
		Expect(writesBefore).To(BeNumerically(">", 0), "the agent that programmed the node counted its writes")

		var (
			mu      sync.Mutex
			batches []trafficBatch
		)
		stop, loopDone := make(chan struct{}), make(chan error, 1)
		go func() {
			defer GinkgoRecover()
			for {
				select {
				case <-stop:
					loopDone <- nil
					return
				default:
				}
				start := time.Now()
				replies, err := n.HTTP(ctx, target, "/hostname.html", 5)
				if err != nil {
					loopDone <- err
					return
				}
				mu.Lock()
				batches = append(batches, trafficBatch{start: start, end: time.Now(), replies: replies})
				mu.Unlock()
			}
		}()
		// Steady state first, so the loop is running at full pace when the agent dies.
		time.Sleep(2 * time.Second)
		killStart := time.Now()
		kill, err := n.KillAgent(ctx)
		killEnd := time.Now()
		Expect(err).NotTo(HaveOccurred())
		// Connections after the restart: the restarted agent's first sync must not disturb them.
		time.Sleep(3 * time.Second)
		close(stop)
		Expect(<-loopDone).To(Succeed())

		after, err := n.AgentMetrics(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(after).To(ContainSubstring("slicelb_node_syncs_total"), "the restarted agent's own metrics")
		writesAfter := netlinkWrites(after)

		var attempted, failed, during, duringFailed, afterRestart, afterFailed int
		var failures []string
		mu.Lock()
		for _, b := range batches {
			errs := errorsIn(b.replies)
			attempted += len(b.replies)
			failed += len(errs)
			for _, e := range errs {
				// When it failed, relative to the SIGKILL: the kill itself, the restart or the new agent's first sync.
				failures = append(failures, fmt.Sprintf("%s (in the batch of %v..%v after the SIGKILL)", e,
					b.start.Sub(killStart).Round(10*time.Millisecond), b.end.Sub(killStart).Round(10*time.Millisecond)))
			}
			switch {
			case b.end.After(killStart) && b.start.Before(killEnd):
				during += len(b.replies)
				duringFailed += len(errs)
			case !b.start.Before(killEnd):
				afterRestart += len(b.replies)
				afterFailed += len(errs)
			}
		}
		mu.Unlock()
		report("slicelb-node SIGKILL", "%s: %d connections attempted, %d failed; while the agent was down: %d attempted, %d failed; "+
			"after the restart: %d attempted, %d failed; agent pid %d down for %d ms (SIGKILL -> restarted pid %d running after %d ms, 2 s of it the restart delay, ready after its first sync); "+
			"netlink writes: %.0f by the killed agent, %.0f by the restarted one",
			target, attempted, failed, during, duringFailed, afterRestart, afterFailed,
			kill.KilledPID, kill.DownMillis, kill.RestartedPID, kill.StartedMillis, writesBefore, writesAfter)
		Expect(kill.RestartedPID).NotTo(Equal(kill.KilledPID))
		Expect(during).To(BeNumerically(">", 0), "connections were attempted while the agent was down")
		Expect(afterRestart).To(BeNumerically(">", 0), "connections were attempted after the restart")
		Expect(failures).To(BeEmpty())
		Expect(writesAfter).To(BeZero(), "the restarted agent adopts the kernel state: no write\n%s", after)
	}, SpecTimeout(4*time.Minute))
}

// netlinkWrites sums slicelb_node_netlink_writes_total over its op labels (0 when the agent has
// not written yet: a CounterVec has no series before its first increment).
func netlinkWrites(metrics string) float64 {
	var sum float64
	sc := bufio.NewScanner(strings.NewReader(metrics))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "slicelb_node_netlink_writes_total") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		Expect(err).NotTo(HaveOccurred(), line)
		sum += v
	}
	return sum
}
