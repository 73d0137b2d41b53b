package controllers

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Which pods are endpoints, and with which conditions, in both objects.
var _ = Describe("Endpoint conditions", func() {
	var ns string
	http := svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080))

	BeforeEach(func() { ns = newNamespace() })

	It("splits ready and not-ready pods: addresses/notReadyAddresses and the ready condition", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		createPod(ns, podSpec{name: "b", app: "web", ips: []string{"10.1.0.2"}})

		Eventually(endpointsView(ns, "web")).Should(Equal([]string{
			"ready=[10.1.0.1] notReady=[10.1.0.2] ports=[http/TCP/8080]",
		}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{
			"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-) 10.1.0.2(---)]",
		}))
	})

	It("publishes not-ready pods as ready with publishNotReadyAddresses, and splits them again without", func() {
		svc := service(ns, "web", "web", http)
		svc.Spec.PublishNotReadyAddresses = true
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		createPod(ns, podSpec{name: "b", app: "web", ips: []string{"10.1.0.2"}})

		Eventually(endpointsView(ns, "web")).Should(Equal([]string{
			"ready=[10.1.0.1 10.1.0.2] notReady=[] ports=[http/TCP/8080]",
		}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{
			"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-) 10.1.0.2(r--)]",
		}))

		By("turning publishNotReadyAddresses off")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(svc), svc)).To(Succeed())
		svc.Spec.PublishNotReadyAddresses = false
		Expect(k8sClient.Update(ctx, svc)).To(Succeed())
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{
			"ready=[10.1.0.1] notReady=[10.1.0.2] ports=[http/TCP/8080]",
		}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{
			"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-) 10.1.0.2(---)]",
		}))
	})

	It("follows a pod turning ready and then unready", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		pod := createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}})
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[] notReady=[10.1.0.1] ports=[http/TCP/8080]"}))

		setPodStatus(pod, []string{"10.1.0.1"}, true, "")
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}))

		setPodStatus(pod, []string{"10.1.0.1"}, false, "")
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[] notReady=[10.1.0.1] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(---)]"}))
	})

	It("drops a terminating pod from Endpoints and keeps it in slices as serving+terminating until it is gone", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		term := createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true, finalizer: true})
		createPod(ns, podSpec{name: "b", app: "web", ips: []string{"10.1.0.2"}, ready: true})
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1 10.1.0.2] notReady=[] ports=[http/TCP/8080]"}))

		By("deleting the pod: the finalizer keeps it terminating")
		Expect(k8sClient.Delete(ctx, term)).To(Succeed())
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.2] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{
			"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(-st) 10.1.0.2(rs-)]",
		}))

		By("removing the finalizer: the pod is gone from the slices too")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(term), term)).To(Succeed())
		term.Finalizers = nil
		Expect(k8sClient.Update(ctx, term)).To(Succeed())
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.2(rs-)]"}))
		Consistently(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.2] notReady=[] ports=[http/TCP/8080]"}))
	})

	It("leaves out Failed pods", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		failed := createPod(ns, podSpec{name: "f", app: "web", ips: []string{"10.1.0.9"}, ready: true})
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1 10.1.0.9] notReady=[] ports=[http/TCP/8080]"}))

		setPodStatus(failed, []string{"10.1.0.9"}, false, corev1.PodFailed)
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}))
	})

	It("leaves out a pod without an IP until it gets one", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		noIP := createPod(ns, podSpec{name: "n", app: "web", ready: true})
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}))
		Consistently(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}))

		setPodStatus(noIP, []string{"10.1.0.3"}, true, "")
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1 10.1.0.3] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-) 10.1.0.3(rs-)]"}))
	})
})
