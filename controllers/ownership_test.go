package controllers

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// handEndpoints is a user's Endpoints object: 10.0.17.100:80.
func handEndpoints(ns, name string, labels map[string]string) *corev1.Endpoints {
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.0.17.100"}},
			Ports:     []corev1.EndpointPort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		}},
	}
}

// resourceVersionOf reads an object's resourceVersion straight from the API server.
func resourceVersionOf(obj client.Object) func() string {
	return func() string {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return "error: " + err.Error()
		}
		return obj.GetResourceVersion()
	}
}

// foreignSlice is another controller's slice for the Service.
func foreignSlice(ns, svc string) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: svc + "-foreign", Labels: map[string]string{
			discoveryv1.LabelServiceName: svc, discoveryv1.LabelManagedBy: "other-controller.example.com",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.9.9.9"}}},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](80)}},
	}
}

// Whose objects are whose.
var _ = Describe("Ownership and coexistence", func() {
	var ns string
	http := svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080))
	BeforeEach(func() { ns = newNamespace() })

	It("leaves a selectorless Service's hand-written Endpoints untouched and mirrors them", func() {
		Expect(k8sClient.Create(ctx, service(ns, "ext", "", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(80))))).To(Succeed())
		mark := writes.Mark()
		ep := handEndpoints(ns, "ext", nil)
		Expect(k8sClient.Create(ctx, ep)).To(Succeed())
		rv := ep.ResourceVersion

		Eventually(slicesView(ns, "ext", endpoints.MirrorManagedByValue)).Should(Equal([]string{
			"IPv4 ports=[http/TCP/80] eps=[10.0.17.100(r--)]",
		}))
		mirrored := listSlicesOf(ns, "ext", endpoints.MirrorManagedByValue)[0]
		Expect(mirrored.OwnerReferences).To(ConsistOf(HaveField("Kind", "Endpoints")))
		Expect(*mirrored.OwnerReferences[0].Controller).To(BeTrue())
		Expect(mirrored.OwnerReferences[0].UID).To(Equal(ep.UID))
		Consistently(resourceVersionOf(ep)).Should(Equal(rv))
		Expect(nsWrites(ns, mark, "endpoints")).To(BeEmpty(), "the controller never writes the user's Endpoints")
		Expect(listSlicesOf(ns, "ext", ours)).To(BeEmpty())
	})

	It("does not mirror Endpoints labelled skip-mirror, and removes mirrored slices when the label appears", func() {
		Expect(k8sClient.Create(ctx, service(ns, "ext", "", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(80))))).To(Succeed())
		ep := handEndpoints(ns, "ext", map[string]string{discoveryv1.LabelSkipMirror: "true"})
		Expect(k8sClient.Create(ctx, ep)).To(Succeed())
		Consistently(slicesView(ns, "ext", endpoints.MirrorManagedByValue)).Should(BeEmpty())

		By("dropping the label: mirrored")
		ep.Labels = nil
		Expect(k8sClient.Update(ctx, ep)).To(Succeed())
		Eventually(slicesView(ns, "ext", endpoints.MirrorManagedByValue)).Should(HaveLen(1))

		By("labelling it again: the mirrored slice is removed")
		ep.Labels = map[string]string{discoveryv1.LabelSkipMirror: "true"}
		Expect(k8sClient.Update(ctx, ep)).To(Succeed())
		Eventually(slicesView(ns, "ext", endpoints.MirrorManagedByValue)).Should(BeEmpty())
	})

	It("writes nothing for an ExternalName Service and leaves Endpoints written by others alone", func() {
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		svc := service(ns, "web", "web", http)
		svc.Spec.Type = corev1.ServiceTypeExternalName
		svc.Spec.ExternalName = "web.example.com"
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		theirs := handEndpoints(ns, "web", map[string]string{endpoints.LabelEndpointsManagedBy: "someone-else"})
		Expect(k8sClient.Create(ctx, theirs)).To(Succeed())
		rv := theirs.ResourceVersion

		Consistently(slicesView(ns, "web", ours)).Should(BeEmpty())
		Consistently(resourceVersionOf(theirs)).Should(Equal(rv))
	})

	It("removes only its own objects when a Service loses its selector or becomes ExternalName", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		Expect(k8sClient.Create(ctx, service(ns, "api", "api", http))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		createPod(ns, podSpec{name: "b", app: "api", ips: []string{"10.1.0.2"}, ready: true})
		theirSlice := foreignSlice(ns, "web")
		Expect(k8sClient.Create(ctx, theirSlice)).To(Succeed())
		Eventually(endpointsView(ns, "web")).Should(HaveLen(1))
		Eventually(endpointsView(ns, "api")).Should(HaveLen(1))
		Eventually(slicesView(ns, "web", ours)).Should(HaveLen(1))
		Eventually(slicesView(ns, "api", ours)).Should(HaveLen(1))

		By("removing web's selector")
		mark := writes.Mark()
		svc := &corev1.Service{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, svc)).To(Succeed())
		svc.Spec.Selector = nil
		Expect(k8sClient.Update(ctx, svc)).To(Succeed())
		Eventually(endpointsView(ns, "web")).Should(ConsistOf(ContainSubstring("not found")))
		Eventually(slicesView(ns, "web", ours)).Should(BeEmpty())
		Expect(resourceVersionOf(theirSlice)()).To(Equal(theirSlice.ResourceVersion), "another controller's slice stays")
		Expect(nsWrites(ns, mark, "endpointslices")).NotTo(ContainElement(HavePrefix("POST ")),
			"our own Endpoints, on its way out, was never mirrored")

		By("the user now writes web's Endpoints: untouched and mirrored")
		ep := handEndpoints(ns, "web", nil)
		Expect(k8sClient.Create(ctx, ep)).To(Succeed())
		Eventually(slicesView(ns, "web", endpoints.MirrorManagedByValue)).Should(HaveLen(1))
		Consistently(resourceVersionOf(ep)).Should(Equal(ep.ResourceVersion))

		By("turning api into an ExternalName Service")
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "api"}, svc)).To(Succeed())
		svc.Spec.Type = corev1.ServiceTypeExternalName
		svc.Spec.ExternalName = "api.example.com"
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs, svc.Spec.IPFamilies, svc.Spec.IPFamilyPolicy = "", nil, nil, nil
		Expect(k8sClient.Update(ctx, svc)).To(Succeed())
		Eventually(endpointsView(ns, "api")).Should(ConsistOf(ContainSubstring("not found")))
		Eventually(slicesView(ns, "api", ours)).Should(BeEmpty())
		Eventually(eventsWithReason(ns, ReasonRemovedOrphans)).Should(HaveLen(2))
	})

	It("never overwrites Endpoints another writer manages: a Warning event and a metric instead", func() {
		theirs := handEndpoints(ns, "web", map[string]string{endpoints.LabelEndpointsManagedBy: "other-endpoints-controller"})
		Expect(k8sClient.Create(ctx, theirs)).To(Succeed())
		rv := theirs.ResourceVersion
		skipped := testutil.ToFloat64(foreignEndpointsSkipped)

		svc := service(ns, "web", "web", http)
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})

		Eventually(slicesView(ns, "web", ours)).Should(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}),
			"the slices are ours to write all the same")
		Eventually(eventsWithReason(ns, ReasonForeignEndpoints)).Should(HaveLen(1))
		Expect(testutil.ToFloat64(foreignEndpointsSkipped)).To(BeNumerically(">", skipped))

		By("resyncing: still untouched, still one event")
		svc.Annotations = map[string]string{"touch": "1"}
		Expect(k8sClient.Update(ctx, svc)).To(Succeed())
		Consistently(resourceVersionOf(theirs)).Should(Equal(rv))
		Expect(eventsWithReason(ns, ReasonForeignEndpoints)()).To(HaveLen(1))
	})

	It("restores its Endpoints and slices when someone deletes or edits them", func() {
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		want := []string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}
		wantSlices := []string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(rs-)]"}
		Eventually(endpointsView(ns, "web")).Should(Equal(want))
		Eventually(slicesView(ns, "web", ours)).Should(Equal(wantSlices))

		ep := &corev1.Endpoints{}
		Expect(k8sClient.Get(ctx, clientKey(ns, "web"), ep)).To(Succeed())
		Expect(k8sClient.Delete(ctx, ep)).To(Succeed())
		slice := listSlicesOf(ns, "web", ours)[0]
		slice.Endpoints[0].Addresses = []string{"10.9.9.9"}
		Expect(k8sClient.Update(ctx, &slice)).To(Succeed())
		Eventually(endpointsView(ns, "web")).Should(Equal(want))
		Eventually(slicesView(ns, "web", ours)).Should(Equal(wantSlices))

		slice = listSlicesOf(ns, "web", ours)[0]
		Expect(k8sClient.Delete(ctx, &slice)).To(Succeed())
		Eventually(slicesView(ns, "web", ours)).Should(Equal(wantSlices))
	})

	It("adopts an unlabelled Endpoints object of a selector Service, as upstream does", func() {
		Expect(k8sClient.Create(ctx, handEndpoints(ns, "web", nil))).To(Succeed())
		Expect(k8sClient.Create(ctx, service(ns, "web", "web", http))).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))
		ep := &corev1.Endpoints{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, ep)).To(Succeed())
		Expect(ep.Labels).To(HaveKeyWithValue(endpoints.LabelEndpointsManagedBy, endpoints.ManagedByValue))
	})

	It("manages only Services in the --service-selector scope", func() {
		svc := service(ns, "web", "web", http)
		svc.Labels = map[string]string{unmanagedLabel: "true"}
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		Consistently(endpointsView(ns, "web")).Should(ConsistOf(ContainSubstring("not found")))
		Expect(slicesView(ns, "web", ours)()).To(BeEmpty())

		By("bringing the Service into scope")
		svc.Labels = nil
		Expect(k8sClient.Update(ctx, svc)).To(Succeed())
		Eventually(endpointsView(ns, "web")).Should(Equal([]string{"ready=[10.1.0.1] notReady=[] ports=[http/TCP/8080]"}))
		Eventually(slicesView(ns, "web", ours)).Should(HaveLen(1))
	})

	It("owns its slices through a controller ownerReference to the Service and does not fight their removal", func() {
		svc := service(ns, "web", "web", http)
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		Eventually(slicesView(ns, "web", ours)).Should(HaveLen(1))
		slice := listSlicesOf(ns, "web", ours)[0]
		Expect(slice.OwnerReferences).To(Equal([]metav1.OwnerReference{{
			APIVersion: "v1", Kind: "Service", Name: "web", UID: svc.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}}), "the garbage collector deletes the slices with the Service")

		By("deleting the Service: our Endpoints go, the slices are left to the garbage collector")
		mark := writes.Mark()
		Expect(k8sClient.Delete(ctx, svc)).To(Succeed())
		Eventually(endpointsView(ns, "web")).Should(ConsistOf(ContainSubstring("not found")))
		By("deleting the slice as the garbage collector would: not recreated")
		Expect(k8sClient.Delete(ctx, &slice)).To(Succeed())
		Consistently(slicesView(ns, "web", ours)).Should(BeEmpty())
		Expect(nsWrites(ns, mark, "endpointslices")).To(BeEmpty())
		err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "web"}, &corev1.Endpoints{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue())
	})
})
