package controllers

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/slicelb/slicelb/test/utils"
)

// snapshot is a frozen "informer cache": the objects of the namespace as the API server
// has them now. A reconciler reading from it while the API server moves on reads from a
// cache that has not observed the latest writes — the situation the guard is for.
func snapshot(ns string) client.Reader {
	GinkgoHelper()
	b := fake.NewClientBuilder().WithScheme(scheme.Scheme).
		WithIndex(&discoveryv1.EndpointSlice{}, IndexSliceService, sliceServiceKey).
		WithIndex(&corev1.Pod{}, IndexPodLabel, podLabelKeys)
	var svcs corev1.ServiceList
	var pods corev1.PodList
	var eps corev1.EndpointsList
	var slices discoveryv1.EndpointSliceList
	for _, list := range []client.ObjectList{&svcs, &pods, &eps, &slices} {
		Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
	}
	for i := range svcs.Items {
		b = b.WithObjects(&svcs.Items[i])
	}
	for i := range pods.Items {
		b = b.WithObjects(&pods.Items[i])
	}
	for i := range eps.Items {
		b = b.WithObjects(&eps.Items[i])
	}
	for i := range slices.Items {
		b = b.WithObjects(&slices.Items[i])
	}
	return b.Build()
}

var _ = Describe("Stale-cache guard", func() {
	var (
		ns      string
		counted *utils.RequestCounter
		writer  client.Client
		pod     *corev1.Pod
		req     ctrl.Request
	)

	BeforeEach(func() {
		ns = newNamespace()
		// The suite's manager leaves this Service alone (out of scope); the spec's own
		// reconcilers, without a scope, manage it.
		svc := service(ns, "web", "web", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(8080)))
		svc.Labels = map[string]string{unmanagedLabel: "true"}
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		pod = createPod(ns, podSpec{name: "a", app: "web", ips: []string{"10.1.0.1"}, ready: true})
		req = ctrl.Request{NamespacedName: client.ObjectKeyFromObject(svc)}

		counted = &utils.RequestCounter{}
		wcfg := rest.CopyConfig(cfg)
		counted.Wrap(wcfg)
		var err error
		writer, err = client.New(wcfg, client.Options{Scheme: scheme.Scheme})
		Expect(err).NotTo(HaveOccurred())
	})

	// step reconciles once and returns the result and the writes it sent.
	step := func(r cacheStepped, reader client.Reader) (ctrl.Result, []utils.Request) {
		GinkgoHelper()
		mark := counted.Mark()
		res, err := r.reconcileFrom(reader)
		Expect(err).NotTo(HaveOccurred())
		return res, counted.WritesSince(mark)
	}

	It("requeues the Endpoints sync instead of writing while the cache has not observed its create and update", func() {
		stale := testutil.ToFloat64(staleCacheRequeues.WithLabelValues(controllerEndpoint))
		rec := &EndpointsReconciler{reconcilerBase: reconcilerBase{Client: writer, Recorder: events.NewFakeRecorder(100)}}
		r := cacheStepped{&rec.reconcilerBase, rec, req}
		before := snapshot(ns)

		res, w := step(r, before)
		Expect(w).To(ConsistOf(HaveField("Method", "POST")), "creates the Endpoints")
		Expect(res).To(Equal(ctrl.Result{}))

		res, w = step(r, before)
		Expect(w).To(BeEmpty(), "the cache does not show the Endpoints it created: no second create")
		Expect(res.RequeueAfter).To(BeNumerically(">", 0))
		Expect(testutil.ToFloat64(staleCacheRequeues.WithLabelValues(controllerEndpoint))).To(BeNumerically(">=", stale+1))

		res, w = step(r, snapshot(ns))
		Expect(w).To(BeEmpty(), "the cache caught up and nothing changed")
		Expect(res).To(Equal(ctrl.Result{}))

		By("the pod turns unready: one update, then no write from a cache still showing the old Endpoints")
		setPodStatus(pod, []string{"10.1.0.1"}, false, "")
		lagging := snapshot(ns)
		_, w = step(r, lagging)
		Expect(w).To(ConsistOf(HaveField("Method", "PUT")))
		res, w = step(r, lagging)
		Expect(w).To(BeEmpty())
		Expect(res.RequeueAfter).To(BeNumerically(">", 0))
		res, w = step(r, snapshot(ns))
		Expect(w).To(BeEmpty())
		Expect(res).To(Equal(ctrl.Result{}))
		Expect(endpointsView(ns, "web")()).To(Equal([]string{"ready=[] notReady=[10.1.0.1] ports=[http/TCP/8080]"}))
	})

	It("requeues the EndpointSlice sync instead of writing while the cache has not observed its create and update", func() {
		rec := &EndpointSliceReconciler{reconcilerBase: reconcilerBase{Client: writer, Recorder: events.NewFakeRecorder(100)}}
		r := cacheStepped{&rec.reconcilerBase, rec, req}
		before := snapshot(ns)

		_, w := step(r, before)
		Expect(w).To(ConsistOf(HaveField("Method", "POST")))
		res, w := step(r, before)
		Expect(w).To(BeEmpty(), "no duplicate slice from a cache that does not show the first")
		Expect(res.RequeueAfter).To(BeNumerically(">", 0))
		res, w = step(r, snapshot(ns))
		Expect(w).To(BeEmpty())
		Expect(res).To(Equal(ctrl.Result{}))

		setPodStatus(pod, []string{"10.1.0.1"}, false, "")
		lagging := snapshot(ns)
		_, w = step(r, lagging)
		Expect(w).To(ConsistOf(HaveField("Method", "PUT")))
		res, w = step(r, lagging)
		Expect(w).To(BeEmpty())
		Expect(res.RequeueAfter).To(BeNumerically(">", 0))
		Expect(slicesView(ns, "web", ours)()).To(Equal([]string{"IPv4 ports=[http/TCP/8080] eps=[10.1.0.1(---)]"}))
	})

	It("requeues the mirroring sync instead of writing while the cache has not observed its create", func() {
		svc := service(ns, "ext", "", svcPort("http", corev1.ProtocolTCP, 80, intstr.FromInt32(80)))
		svc.Labels = map[string]string{unmanagedLabel: "true"}
		Expect(k8sClient.Create(ctx, svc)).To(Succeed())
		Expect(k8sClient.Create(ctx, handEndpoints(ns, "ext", nil))).To(Succeed())
		rec := &EndpointSliceMirroringReconciler{reconcilerBase: reconcilerBase{Client: writer, Recorder: events.NewFakeRecorder(100)}}
		r := cacheStepped{&rec.reconcilerBase, rec, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(svc)}}
		before := snapshot(ns)

		_, w := step(r, before)
		Expect(w).To(ConsistOf(HaveField("Method", "POST")))
		res, w := step(r, before)
		Expect(w).To(BeEmpty(), "no duplicate mirrored slice")
		Expect(res.RequeueAfter).To(BeNumerically(">", 0))
		res, w = step(r, snapshot(ns))
		Expect(w).To(BeEmpty())
		Expect(res).To(Equal(ctrl.Result{}))
	})
})

// cacheStepped is a reconciler whose cache the spec chooses for each sync: the three endpoint
// reconcilers all read through their embedded reconcilerBase.
type cacheStepped struct {
	base *reconcilerBase
	r    reconcile.Reconciler
	req  ctrl.Request
}

func (u cacheStepped) reconcileFrom(reader client.Reader) (ctrl.Result, error) {
	u.base.Reader = reader
	return u.r.Reconcile(ctx, u.req)
}
