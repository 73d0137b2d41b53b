package controllers

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/slicelb/slicelb/internal/endpoints"
)

var _ = Describe("Mirroring limits", func() {
	It("mirrors at most 1000 addresses of a subset and warns on the Endpoints about the rest", func() {
		ns := newNamespace()
		Expect(k8sClient.Create(ctx, service(ns, "ext", "", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(80))))).To(Succeed())
		ep := handEndpoints(ns, "ext", nil)
		ep.Subsets[0].Addresses = nil
		for i := 0; i < 1001; i++ {
			ep.Subsets[0].Addresses = append(ep.Subsets[0].Addresses, corev1.EndpointAddress{IP: fmt.Sprintf("10.4.%d.%d", i/250, i%250+1)})
		}
		Expect(k8sClient.Create(ctx, ep)).To(Succeed())

		Eventually(func() int {
			n := 0
			for _, s := range listSlicesOf(ns, "ext", endpoints.MirrorManagedByValue) {
				n += len(s.Endpoints)
			}
			return n
		}).Should(Equal(endpoints.DefaultMaxAddressesPerMirroredSubset))
		Eventually(eventsWithReason(ns, endpoints.ReasonTooManyAddresses)).Should(ConsistOf(
			And(HavePrefix("Endpoints/ext: "), ContainSubstring("1 addresses were skipped"))))
	})
})

var _ = Describe("Object metadata", func() {
	It("publishes a headless Service without ports, with the Service's labels and the trigger time", func() {
		ns := newNamespace()
		svc := service(ns, "db", "db")
		svc.Spec.ClusterIP = corev1.ClusterIPNone
		svc.Labels = map[string]string{"team": "data"}
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		createPod(ns, podSpec{name: "db-0", app: "db", ips: []string{"10.1.0.1"}, ready: true})

		Eventually(endpointsView(ns, "db")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[]"}))
		Eventually(slicesView(ns, "db", ours)).Should(Equal([]string{"IPv4 ports=[] eps=[10.1.0.1(rs-)]"}))

		got := &corev1.Endpoints{}
		Expect(k8sClient.Get(ctx, clientKey(ns, "db"), got)).To(Succeed())
		Expect(got.Labels).To(Equal(map[string]string{
			"team": "data", corev1.IsHeadlessService: "", endpoints.LabelEndpointsManagedBy: endpoints.ManagedByValue,
		}))
		Expect(got.Annotations).To(HaveKey(corev1.EndpointsLastChangeTriggerTime))
		for _, s := range listSlicesOf(ns, "db", ours) {
			Expect(s.Labels).To(HaveKeyWithValue("team", "data"))
			Expect(s.Annotations).To(HaveKey(corev1.EndpointsLastChangeTriggerTime))
		}
	})
})
