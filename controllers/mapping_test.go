package controllers

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/podview"
)

// mgrCache is the reconcilers' Reader: the manager's informer cache, pods through podReader.
func mgrCache() client.Reader { return recs.Slices.Reader }

var _ = Describe("Pod to Service mapping and the trimmed cache", func() {
	var ns string
	http := svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080))
	BeforeEach(func() { ns = newNamespace() })

	It("moves a relabelled pod from its old Service to its new one", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		Expect(k8sClient.Create(ctx, service(ns, "api", "api", http))).To(Succeed())
		pod := createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))

		pod.Labels["app"] = "api"
		Expect(k8sClient.Update(ctx, pod)).To(Succeed())
		Eventually(endpointsView(ns, "api")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(endpointsView(ns, "web")).Should(BeEmpty())
		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[] eps=[]"}), "the placeholder slice")
		Eventually(slicesView(ns, "api", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}))
	})

	It("finds exactly the Services whose whole selector matches, through one indexed term per Service", func() {
		for i := 0; i < 20; i++ {
			svc := service(ns, fmt.Sprintf("s%d", i), "", http)
			svc.Spec.Selector = map[string]string{"app": fmt.Sprintf("a%d", i%4), "tier": fmt.Sprintf("t%d", i%5)}
			Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		}
		pod := &corev1.Pod{}
		pod.Namespace, pod.Labels = ns, map[string]string{"app": "a1", "tier": "t1", "other": "x"}
		mapper := serviceMapper{reader: mgrCache()}
		// Only i = 1 among 0..19 has i%4 == 1 and i%5 == 1.
		Eventually(func() []types.NamespacedName { return mapper.servicesForPod(ctx, pod) }).Should(
			ConsistOf(types.NamespacedName{Namespace: ns, Name: "s1"}))
		pod.Labels = map[string]string{"app": "a1"}
		Expect(mapper.servicesForPod(ctx, pod)).To(BeEmpty(), "a partial match is no match")
	})

	It("selects a Service's pods through its first selector term, then the whole selector", func() {
		svc := service(ns, "front", "", http)
		// "app" is the smallest key: the lookup term; "tier" must still be checked.
		svc.Spec.Selector = map[string]string{"app": "web", "tier": "front"}
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		createPod(ns, podSpec{name: "match", app: "web", extraLabels: map[string]string{"tier": "front"}, ips: []string{"10.1.0.1"}, ready: true})
		createPod(ns, podSpec{name: "other-tier", app: "web", extraLabels: map[string]string{"tier": "back"}, ips: []string{"10.1.0.2"}, ready: true})
		createPod(ns, podSpec{name: "other-app", app: "api", extraLabels: map[string]string{"tier": "front"}, ips: []string{"10.1.0.3"}, ready: true})
		Eventually(endpointsView(ns, "front")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "front", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}))
	})

	DescribeTable("index keys",
		func(got func() []string, want []string) { Expect(got()).To(ConsistOf(want)) },
		Entry("a pod is indexed by every label", func() []string {
			return podLabelKeys(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web", "tier": "front"}}})
		}, []string{"app=web", "tier=front"}),
		Entry("a pod without labels is not indexed", func() []string { return podLabelKeys(&corev1.Pod{}) }, []string{}),
		Entry("a Service by the term with the smallest key", func() []string {
			return serviceSelectorTermKey(&corev1.Service{Spec: corev1.ServiceSpec{Selector: map[string]string{"tier": "front", "app": "web"}}})
		}, []string{"app=web"}),
		Entry("a Service without selector is not indexed", func() []string { return serviceSelectorTermKey(&corev1.Service{}) }, []string{}),
	)

	It("caches pods as compact views without managedFields, annotations and unused spec fields, keeping what the planners read", func() {
		pod := createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true, node: "n1",
			hostname: "h", sub: "web", ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
				{ContainerPort: 9090, Protocol: corev1.ProtocolTCP}, // unnamed: no targetPort can name it
			}})
		pod.Annotations = map[string]string{"big": "annotation"}
		Expect(k8sClient.Update(ctx, pod)).To(Succeed())
		Eventually(func(g Gomega) {
			cached := &corev1.Pod{}
			g.Expect(mgrCache().Get(ctx, client.ObjectKeyFromObject(pod), cached)).To(Succeed())
			g.Expect(cached.ResourceVersion).To(Equal(pod.ResourceVersion))
			g.Expect(cached.ManagedFields).To(BeNil())
			g.Expect(cached.Annotations).To(BeNil())
			g.Expect(cached.Spec.Containers).To(Equal([]corev1.Container{{Name: "main", Ports: pod.Spec.Containers[0].Ports[:1]}}))
			g.Expect(cached.Spec.NodeName).To(Equal("n1"))
			g.Expect(cached.Spec.Hostname).To(Equal("h"))
			g.Expect(cached.Spec.Subdomain).To(Equal("web"))
			g.Expect(cached.Labels).To(Equal(map[string]string{"app": "web"}))
			g.Expect(cached.Status.PodIPs).To(Equal(pod.Status.PodIPs))
			g.Expect(cached.Status.Conditions).To(HaveLen(1))
			g.Expect(cached.OwnerReferences).To(BeNil())
			// What the informer holds is the view, not a Pod.
			idx, err := mgrCache().(podReader).indexer(ctx)
			g.Expect(err).NotTo(HaveOccurred())
			item, exists, err := idx.GetByKey(client.ObjectKeyFromObject(pod).String())
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(exists).To(BeTrue())
			g.Expect(item).To(BeAssignableToTypeOf(&podview.View{}))
		}).Should(Succeed())
		svc := &corev1.Service{}
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(mgrCache().Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, svc)).To(Succeed())
			g.Expect(svc.ManagedFields).To(BeNil())
		}).Should(Succeed())
	})
})
