package controllers

import (
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// podIP numbers pods 10.2.x.y.
func podIP(i int) string { return fmt.Sprintf("10.2.%d.%d", i/250, i%250+1) }

// sliceSizes returns the number of endpoints of each slice of ours, sorted by API order.
func sliceSizes(ns, svc string) func() []int {
	return func() []int {
		var sizes []int
		for _, s := range listSlicesOf(ns, svc, ours) {
			sizes = append(sizes, len(s.Endpoints))
		}
		return sizes
	}
}

func sum(xs []int) int {
	total := 0
	for _, x := range xs {
		total += x
	}
	return total
}

// endpointsAddressCount counts the addresses of the Endpoints object and returns its
// over-capacity annotation.
func endpointsAddressCount(ns, name string) func() (int, string) {
	return func() (int, string) {
		ep := &corev1.Endpoints{}
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, ep); err != nil {
			return -1, err.Error()
		}
		n := 0
		for _, s := range ep.Subsets {
			n += len(s.Addresses) + len(s.NotReadyAddresses)
		}
		return n, ep.Annotations[corev1.EndpointsOverCapacity]
	}
}

var _ = Describe("Scale and write economy", func() {
	var ns string
	http := svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080))
	BeforeEach(func() { ns = newNamespace() })

	It("truncates Endpoints to 1000 addresses with the over-capacity annotation at 1001 pods, and lifts it below", func() {
		createPods(ns, "big", "p", 1001, podIP)
		Expect(k8sClient.Create(ctx, service(ns, "big", "big", http))).To(Succeed())

		Eventually(func(g Gomega) {
			n, annotation := endpointsAddressCount(ns, "big")()
			g.Expect(n).To(Equal(endpoints.MaxEndpointsAddresses))
			g.Expect(annotation).To(Equal(endpoints.AnnotationOverCapacityTruncated))
		}).Should(Succeed())
		Eventually(func() int { return sum(sliceSizes(ns, "big")()) }).Should(Equal(1001), "slices are not truncated")

		By("deleting two pods: 999 addresses, no annotation")
		for _, name := range []string{"p-0", "p-1"} {
			Expect(k8sClient.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}})).To(Succeed())
		}
		Eventually(func(g Gomega) {
			n, annotation := endpointsAddressCount(ns, "big")()
			g.Expect(n).To(Equal(999))
			g.Expect(annotation).To(BeEmpty())
		}).Should(Succeed())
	})

	It("packs 250 pods into 3 slices and turns one pod change into exactly one slice update", func() {
		createPods(ns, "web", "p", 250, podIP)
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		Eventually(func() []int { return slices.Sorted(slices.Values(sliceSizes(ns, "web")())) }).Should(Equal([]int{50, 100, 100}))

		Eventually(func() int { n, _ := endpointsAddressCount(ns, "web")(); return n }).Should(Equal(250))
		waitQuiet(ns)

		By("making one pod unready")
		mark := writes.Mark()
		pod := &corev1.Pod{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "p-7"}, pod)).To(Succeed())
		setPodStatus(pod, []string{podIP(7)}, false, "")
		Eventually(func() []string { return nsWrites(ns, mark, "endpointslices") }).Should(HaveLen(1))
		Consistently(func() []string { return nsWrites(ns, mark, "endpointslices") }).Should(
			ConsistOf(HavePrefix("PUT ")), "one update, no create, no delete")
		Expect(nsWrites(ns, mark, "endpoints")).To(ConsistOf(HavePrefix("PUT ")), "and one Endpoints update")
		Expect(slices.Sorted(slices.Values(sliceSizes(ns, "web")()))).To(Equal([]int{50, 100, 100}))
	})

	It("makes zero writes when a resync finds nothing changed", func() {
		// A second port no pod has: every sync finds the same 32 problems, which must be
		// reported once, not on every resync.
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http,
			svcPort("metrics", corev1.ProtocolTCP, 9100, intstr.FromString("metrics"))))).To(Succeed())
		Expect(k8sClient.Create(ctx, service(ns, "ext", "", http))).To(Succeed())
		Expect(k8sClient.Create(ctx, handEndpoints(ns, "ext", nil))).To(Succeed())
		createPods(ns, "web", "p", 30, podIP)
		createPod(ns, podSpec{name: "unready", app: "web", ips: []string{"10.3.0.1"}})
		createPod(ns, podSpec{name: "noport", app: "web", ips: []string{"10.3.0.2"}, ready: true})
		Eventually(func() int { return sum(sliceSizes(ns, "web")()) }).Should(Equal(32))
		Eventually(slicesView(ns, "ext", endpoints.MirrorManagedByValue)).Should(HaveLen(1))
		Eventually(func() int { n, _ := endpointsAddressCount(ns, "web")(); return n }).Should(Equal(32))
		Eventually(eventsWithReason(ns, endpoints.ReasonPortNotFound)).Should(ConsistOf(
			ContainSubstring(`no container port named "metrics"`), ContainSubstring(`no container port named "metrics"`)),
			"one event per controller")
		waitQuiet(ns)

		By("touching the Services and reconciling every controller directly")
		mark := writes.Mark()
		for _, name := range []string{"web", "ext"} {
			svc := &corev1.Service{}
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc)).To(Succeed())
			svc.Annotations = map[string]string{"resync": "1"}
			Expect(k8sClient.Update(ctx, svc)).To(Succeed())
		}
		Consistently(func() []string { return nsWrites(ns, mark) }).Should(BeEmpty())
		for _, name := range []string{"web", "ext"} {
			req := ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: name}}
			for _, r := range []reconcile.Reconciler{recs.Endpoints, recs.Slices, recs.Mirroring} {
				Expect(r.Reconcile(ctx, req)).To(Equal(ctrl.Result{}))
			}
		}
		Consistently(func() []string { return nsWrites(ns, mark) }).Should(BeEmpty(), "no write, no event")
	})
})
