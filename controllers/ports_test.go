package controllers

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// Ports, address families and hostnames.
var _ = Describe("Ports, families and hostnames", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("resolves a named targetPort per pod (containers, then restartable init containers) and leaves a pod lacking it out of that port", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web",
			svcPort("http", corev1.ProtocolTCP, 80, intstr.FromString("web"))))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true,
			ports: []corev1.ContainerPort{{Name: "web", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}})
		createPod(ns, podSpec{name: "b", app: "web", ips: []string{"10.1.0.2"}, ready: true,
			ports: []corev1.ContainerPort{{Name: "web", ContainerPort: 9090, Protocol: corev1.ProtocolTCP}}})
		createPod(ns, podSpec{name: "c", app: "web", ips: []string{"10.1.0.3"}, ready: true,
			ports: []corev1.ContainerPort{{Name: "other", ContainerPort: 7777, Protocol: corev1.ProtocolTCP}}})
		createPod(ns, podSpec{name: "d", app: "web", ips: []string{"10.1.0.4"}, ready: true,
			sidecarPorts: []corev1.ContainerPort{{Name: "web", ContainerPort: 7070, Protocol: corev1.ProtocolTCP}}})

		Eventually(endpointsView(ns, "web")).Should(Equal([]string{
			"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]",
			"ready=[10.1.0.2] notReady=[] ports=[http/TCP/9090]",
			"ready=[10.1.0.4] notReady=[] ports=[http/TCP/7070]",
		}))
		// In slices, as upstream, the pod lacking the port is published with the ports it
		// has: none (the Endpoints object has no subset for it).
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{
			"IPv4 ports=[] eps=[10.1.0.3(rs-)]",
			"IPv4 ports=[http/TCP/7070] eps=[10.1.0.4(rs-)]",
			"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]",
			"IPv4 ports=[http/TCP/9090] eps=[10.1.0.2(rs-)]",
		}))
		By("warning once about the pod without the named port")
		Eventually(eventsWithReason(ns, endpoints.ReasonPortNotFound)).ShouldNot(BeEmpty())
		Consistently(func() int { return len(eventsWithReason(ns, endpoints.ReasonPortNotFound)()) }).Should(BeNumerically("<=", 2),
			"one event per controller (Endpoints, EndpointSlice), not one per sync")
	})

	It("publishes the multi-port Service 53/TCP, 53/UDP, 5001/TCP", func() {
		Expect(k8sClient.Create(ctx, service(ns, "dns", "dns",
			svcPort("dns-tcp", corev1.ProtocolTCP, 53, intstr.FromInt32(53)),
			svcPort("dns", corev1.ProtocolUDP, 53, intstr.FromInt32(53)),
			svcPort("metrics", corev1.ProtocolTCP, 5001, intstr.FromInt32(5001)),
		))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "dns", ips: []string{"10.1.0.1"}, ready: true})
		createPod(ns, podSpec{name: "b", app: "dns", ips: []string{"10.1.0.2"}})

		Eventually(endpointsView(ns, "dns")).Should(Equal([]string{
			"ready=[10.1.0.1] notReady=[10.1.0.2] ports=[dns-tcp/TCP/53 dns/UDP/53 metrics/TCP/5001]",
		}))
		Eventually(slicesView(ns, "dns", ours)).Should(Equal([]string{
			"IPv4 ports=[dns-tcp/TCP/53 dns/UDP/53 metrics/TCP/5001] eps=[10.1.0.1(rs-) 10.1.0.2(---)]",
		}))
	})

	It("publishes a dual-stack Service: one slice set per family, Endpoints in the primary family", func() {
		svc := service(ns, "web", "web", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080)))
		svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
		svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		Expect(svc.Spec.ClusterIPs).To(HaveLen(2), "the API server allocated one cluster IP per family")
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1", "fd00:1::1"}, ready: true})
		createPod(ns, podSpec{name: "b", app: "web", ips: []string{"10.1.0.2", "fd00:1::2"}})

		Eventually(endpointsView(ns, "web")).Should(Equal([]string{
			"ready=[10.1.0.1] notReady=[10.1.0.2] ports=[http/TCP/8080]",
		}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{
			"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-) 10.1.0.2(---)]",
			"IPv6 ports=[http/TCP/8080] eps=[fd00:1::1(rs-) fd00:1::2(---)]",
		}))
	})

	It("publishes hostnames of a headless Service's pods whose subdomain is the Service", func() {
		svc := service(ns, "db", "db", svcPort("pg", corev1.ProtocolTCP, 5432, intstr.FromInt32(5432)))
		svc.Spec.ClusterIP = corev1.ClusterIPNone
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		createPod(ns, podSpec{name: "db-0", app: "db", ips: []string{"10.1.0.1"}, ready: true, hostname: "db-0", sub: "db"})
		createPod(ns, podSpec{name: "db-1", app: "db", ips: []string{"10.1.0.2"}, ready: true, hostname: "db-1", sub: "elsewhere"})

		Eventually(endpointsView(ns, "db")).Should(Equal([]string{
			"ready=[10.1.0.1/db-0 10.1.0.2] notReady=[] ports=[pg/TCP/5432]",
		}))
		Eventually(slicesView(ns, "db", ours)).Should(Equal([]string{
			"IPv4 ports=[pg/TCP/5432] eps=[10.1.0.1(rs-)/db-0 10.1.0.2(rs-)]",
		}))
		By("marking both objects headless")
		ep := &corev1.Endpoints{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db"}, ep)).To(Succeed())
		Expect(ep.Labels).To(HaveKey(corev1.IsHeadlessService))
		for _, s := range listSlicesOf(ns, "db", ours) {
			Expect(s.Labels).To(HaveKey(corev1.IsHeadlessService))
			Expect(s.AddressType).To(Equal(discoveryv1.AddressTypeIPv4))
		}
	})
})
