package envtestsuite

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

var _ = Describe("slicelb-node's watch side", func() {
	It("programs nothing before every cache synced: its first sync already holds every Service", func() {
		ns := newNamespace()
		const services = 40
		ips := map[string]string{}
		for i := range services {
			ips[fmt.Sprintf("svc-%d", i)] = createService(ns, fmt.Sprintf("svc-%d", i), podIP(i))
		}

		By("starting the agent with a min sync period so long that only the initial sync can run")
		n := startAgent(time.Hour)
		Eventually(func() float64 { return n.syncs("success") }).Should(Equal(1.0))
		for i := range services {
			Expect(n.realServers(ips[fmt.Sprintf("svc-%d", i)])).To(Equal([]string{podIP(i) + ":8080"}),
				"svc-%d must be programmed by the first sync", i)
		}
		Consistently(func() float64 { return n.syncs("success") + n.syncs("error") }, "1s").Should(Equal(1.0))

		By("caching only its own Node, slimmed, and Services without managedFields")
		var nodes corev1.NodeList
		Expect(n.mgr.GetCache().List(ctx, &nodes)).To(Succeed())
		Expect(nodes.Items).To(HaveLen(1))
		Expect(nodes.Items[0].Name).To(Equal(nodeName))
		Expect(nodes.Items[0].Status.Images).To(BeEmpty())
		Expect(nodes.Items[0].Status.Addresses).To(HaveLen(1))
		var svc corev1.Service
		Expect(n.mgr.GetCache().Get(ctx, client.ObjectKey{Namespace: ns, Name: "svc-0"}, &svc)).To(Succeed())
		Expect(svc.ManagedFields).To(BeEmpty())
	})

	It("marks the state dirty on events and coalesces a burst into few syncs", func() {
		ns := newNamespace()
		n := startAgent(500 * time.Millisecond)
		Eventually(func() float64 { return n.syncs("success") }).Should(BeNumerically(">=", 1))

		By("a Service created after start becomes programmed")
		ip := createService(ns, "late", "10.250.0.1")
		Eventually(func() []string { return n.realServers(ip) }).Should(Equal([]string{"10.250.0.1:8080"}))

		By("a burst of 30 Services (60 objects) costs a handful of syncs")
		before := n.syncs("success")
		start := time.Now()
		ips := make([]string, 30)
		for i := range ips {
			ips[i] = createService(ns, fmt.Sprintf("burst-%d", i), podIP(i))
		}
		for i := range ips {
			Eventually(func() []string { return n.realServers(ips[i]) }).Should(Equal([]string{podIP(i) + ":8080"}))
		}
		// At most one sync per min sync period, plus the leading one.
		maxSyncs := time.Since(start).Seconds()/0.5 + 1
		Expect(n.syncs("success") - before).To(BeNumerically("<=", maxSyncs))
		Expect(n.syncs("success") - before).To(BeNumerically("<", 60))

		By("deleting a Service removes its virtual server and its VIP")
		Expect(k8sClient.Delete(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "late"}})).To(Succeed())
		Expect(k8sClient.Delete(ctx, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "late-1"}})).To(Succeed())
		Eventually(func() []string { return n.realServers(ip) }).Should(BeNil())
		Eventually(func() ([]string, error) {
			addrs, err := n.netif.Addresses()
			out := []string{}
			for _, a := range addrs {
				out = append(out, a.String())
			}
			return out, err
		}).ShouldNot(ContainElement(ip))
	})

	It("reports a failing kernel as a Warning event on its Node, retries, and records the recovery", func() {
		ns := newNamespace()
		n := startAgent(100 * time.Millisecond)
		Eventually(func() float64 { return n.syncs("success") }).Should(BeNumerically(">=", 1))
		n.kernel.FailNext(ipvs.MethodAddVirtualServer, fmt.Errorf("injected netlink failure"), -1)

		ip := createService(ns, "faulty", "10.251.0.1")
		Eventually(func() float64 { return n.syncs("error") }).Should(BeNumerically(">=", 2), "retried with backoff")
		Eventually(func() []string { return nodeEvents("SyncFailed") }).ShouldNot(BeEmpty())
		Expect(n.realServers(ip)).To(BeNil())

		n.kernel.ClearFailures()
		Eventually(func() []string { return n.realServers(ip) }).Should(Equal([]string{"10.251.0.1:8080"}))
		Eventually(func() []string { return nodeEvents("SyncRecovered") }).ShouldNot(BeEmpty())
	})
})

// nodeEvents returns the notes of the events.k8s.io Events with reason about this node.
func nodeEvents(reason string) []string {
	var list eventsv1.EventList
	Expect(k8sClient.List(ctx, &list)).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if e.Reason == reason && e.Regarding.Kind == "Node" && e.Regarding.Name == nodeName {
			out = append(out, e.Note)
		}
	}
	return out
}
