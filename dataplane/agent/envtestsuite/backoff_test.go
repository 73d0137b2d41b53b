package envtestsuite

import (
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// netlinkErrors returns slicelb_node_netlink_errors_total{op}.
func (n *node) netlinkErrors(op string) float64 {
	mfs, err := n.reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, mf := range mfs {
		if mf.GetName() != "slicelb_node_netlink_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == op {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

var _ = Describe("slicelb-node under a failing kernel port", func() {
	It("retries an injected netlink error with exponential backoff (100ms, 200ms, 400ms, ...), counts each failure in slicelb_node_netlink_errors_total and records SyncFailed on its Node", func() {
		const minSync = 100 * time.Millisecond // the runner's backoff base is --min-sync-period
		ns := newNamespace()
		n := startAgent(minSync)
		Eventually(func() float64 { return n.syncs("success") }).Should(BeNumerically(">=", 1))
		n.kernel.FailNext(ipvs.MethodAddVirtualServer, fmt.Errorf("injected netlink failure EBUSY (backoff spec)"), -1)
		before := n.kernel.Calls(ipvs.MethodAddVirtualServer)
		errorsBefore := n.netlinkErrors("add_virtual_server")

		ip := createService(ns, "backoff", podIP(7))
		// Each failed sync makes exactly one AddVirtualServer attempt: its time is the retry's,
		// as the fake kernel recorded it at the call (a poller starved by a loaded machine would
		// see calls late and measure gaps shorter than they were).
		time.Sleep(3500 * time.Millisecond)
		at := n.kernel.FailureTimes(ipvs.MethodAddVirtualServer)
		var gaps []string
		for i := 1; i < len(at); i++ {
			gaps = append(gaps, at[i].Sub(at[i-1]).Round(time.Millisecond).String())
		}
		attempts := n.kernel.Calls(ipvs.MethodAddVirtualServer) - before
		Eventually(func() float64 { return n.netlinkErrors("add_virtual_server") - errorsBefore }).
			Should(Equal(float64(n.kernel.Calls(ipvs.MethodAddVirtualServer) - before)))
		GinkgoWriter.Printf("slicelb-measure: injected netlink failure: %d attempts in 3.5s, gaps %s, slicelb_node_netlink_errors_total{op=add_virtual_server} +%.0f\n",
			attempts, strings.Join(gaps, " "), n.netlinkErrors("add_virtual_server")-errorsBefore)

		// Without backoff the runner would retry every 100ms (35 attempts); with it, 100+200+400+800+1600ms.
		Expect(len(at)).To(BeNumerically(">=", 4))
		Expect(len(at)).To(BeNumerically("<=", 6))
		// The delay after the k-th consecutive failure is base*2^(k-1) (an event in between would cut
		// it to --min-sync-period; nothing else changes in the cluster meanwhile).
		for i := 1; i < len(at); i++ {
			want := minSync << (i - 1)
			gap := at[i].Sub(at[i-1])
			Expect(gap).To(BeNumerically(">=", want*9/10), "gap %d: %s", i, gaps)
			Expect(gap).To(BeNumerically("<", want+time.Second), "gap %d: %s", i, gaps)
		}
		Eventually(func() []string { return nodeEvents("SyncFailed") }).Should(ContainElement(ContainSubstring("injected netlink failure EBUSY (backoff spec)")))

		n.kernel.ClearFailures()
		Eventually(func() []string { return n.realServers(ip) }).WithTimeout(10 * time.Second).Should(Equal([]string{podIP(7) + ":8080"}))
	})
})
