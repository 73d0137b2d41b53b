package controllers

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

var _ = Describe("Node zones", func() {
	It("publishes the Node's zone and follows a zone label change, ignoring other Node updates", func() {
		ns := newNamespace()
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{GenerateName: "node-", Labels: map[string]string{zoneLabel: "zone-a"}}}
		Expect(k8sClient.Create(ctx, node)).To(Succeed())
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080))))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true, node: node.Name})
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{
			"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)@" + node.Name + "/zone-a]",
		}))

		Eventually(endpointsView(ns, "web")).Should(HaveLen(1))
		waitQuiet(ns)

		By("updating something else on the Node: no write")
		mark := writes.Mark()
		node.Labels["unrelated"] = "x"
		Expect(k8sClient.Update(ctx, node)).To(Succeed())
		Consistently(func() []string { return nsWrites(ns, mark) }).Should(BeEmpty())

		By("moving the Node to another zone")
		node.Labels[zoneLabel] = "zone-b"
		Expect(k8sClient.Update(ctx, node)).To(Succeed())
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{
			"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)@" + node.Name + "/zone-b]",
		}))
	})

	It("hints endpoints to their zone and node under trafficDistribution PreferSameNode", func() {
		ns := newNamespace()
		node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{GenerateName: "node-", Labels: map[string]string{zoneLabel: "zone-c"}}}
		Expect(k8sClient.Create(ctx, node)).To(Succeed())
		svc := service(ns, "web", "web", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080)))
		svc.Spec.TrafficDistribution = ptr.To(corev1.ServiceTrafficDistributionPreferSameNode)
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true, node: node.Name})
		Eventually(func() []*discoveryv1.EndpointHints {
			var hints []*discoveryv1.EndpointHints
			for _, s := range listSlicesOf(ns, "web", ours) {
				for _, e := range s.Endpoints {
					hints = append(hints, e.Hints)
				}
			}
			return hints
		}).Should(Equal([]*discoveryv1.EndpointHints{{
			ForZones: []discoveryv1.ForZone{{Name: "zone-c"}},
			ForNodes: []discoveryv1.ForNode{{Name: node.Name}},
		}}))
	})
})
