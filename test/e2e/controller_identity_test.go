package e2e

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/internal/endpoints"
	"github.com/slicelb/slicelb/test/cluster"
)

// leaseName is cmd/controller's leader election ID.
const leaseName = "slicelb-controller.slicelb.io"

var _ = Describe("slicelb-controller as its own ServiceAccount", Ordered, func() {
	var (
		proc *cluster.Binary
		kc   cluster.Kubeconfig
	)

	BeforeAll(func(ctx SpecContext) {
		Expect(ensureDeployed(ctx)).To(Succeed(), deployed.output)
		var err error
		proc, err = suite.Cluster.StartController(ctx, suite.Binaries.Controller)
		Expect(err).NotTo(HaveOccurred())
		kc = proc.Kubeconfig
		By("started slicelb-controller " + strings.Join(proc.Args, " "))
		DeferCleanup(func() { _ = proc.Stop(15 * time.Second) }) // the last spec checks a clean stop
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() {
			logs, _ := proc.Logs()
			AddReportEntry("slicelb-controller log", logs)
		}
	})

	It("becomes ready and takes the leader Lease", func(ctx SpecContext) {
		Eventually(ctx, func() int {
			failFastOnForbidden(proc.Process)
			return probe(ctx, proc.ReadyzURL())
		}).Should(Equal(200))
		lease := &coordinationv1.Lease{}
		Eventually(ctx, func() *string {
			_ = suite.Client.Get(ctx, types.NamespacedName{Namespace: systemNamespace, Name: leaseName}, lease)
			return lease.Spec.HolderIdentity
		}).Should(HaveValue(Not(BeEmpty())))
	}, SpecTimeout(2*time.Minute))

	It("is classified by API Priority and Fairness with config/apf's FlowSchema, in workload-high", func(ctx SpecContext) {
		// The API server names the FlowSchema and priority level that classified a request in
		// the response headers: a request as the controller's ServiceAccount must land in the
		// FlowSchema config/default applied (whose subject kustomize does not rewrite).
		fs := &flowcontrolv1.FlowSchema{}
		Expect(suite.Client.Get(ctx, types.NamespacedName{Name: "slicelb-controller"}, fs)).To(Succeed())
		Expect(fs.Spec.PriorityLevelConfiguration.Name).To(Equal("workload-high"))
		pl := &flowcontrolv1.PriorityLevelConfiguration{}
		Expect(suite.Client.Get(ctx, types.NamespacedName{Name: "workload-high"}, pl)).To(Succeed())
		httpClient, err := rest.HTTPClientFor(kc.RESTConfig())
		Expect(err).NotTo(HaveOccurred())
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(kc.Server, "/")+"/api/v1/namespaces/default/endpoints", nil)
		Expect(err).NotTo(HaveOccurred())
		resp, err := httpClient.Do(req)
		Expect(err).NotTo(HaveOccurred())
		_ = resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK), "the controller's ServiceAccount may list Endpoints")
		Expect(resp.Header.Get("X-Kubernetes-PF-FlowSchema-UID")).To(Equal(string(fs.UID)))
		Expect(resp.Header.Get("X-Kubernetes-PF-PriorityLevel-UID")).To(Equal(string(pl.UID)))
	}, SpecTimeout(time.Minute))

	It("writes the Endpoints and EndpointSlice of a Service", func(ctx SpecContext) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-controller"}}
		Expect(suite.Client.Create(ctx, ns)).To(Succeed())
		pod := readyPod(ns.Name, "web-0", "10.244.1.10", map[string]string{"app": "web"})
		Expect(createPodWithStatus(ctx, pod)).To(Succeed())
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "web"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP},
			}},
		}
		Expect(suite.Client.Create(ctx, svc)).To(Succeed())

		Eventually(ctx, func(g Gomega) {
			slices := &discoveryv1.EndpointSliceList{}
			g.Expect(suite.Client.List(ctx, slices, client.InNamespace(ns.Name),
				client.MatchingLabels{discoveryv1.LabelServiceName: "web"})).To(Succeed())
			g.Expect(slices.Items).To(HaveLen(1))
			s := slices.Items[0]
			g.Expect(s.Labels).To(HaveKeyWithValue(discoveryv1.LabelManagedBy, endpoints.ManagedByValue))
			g.Expect(s.Ports).To(ConsistOf(discoveryv1.EndpointPort{
				Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP),
			}))
			g.Expect(s.Endpoints).To(HaveLen(1))
			g.Expect(s.Endpoints[0].Addresses).To(Equal([]string{"10.244.1.10"}))
			g.Expect(s.Endpoints[0].Conditions.Ready).To(HaveValue(BeTrue()))

			ep := &corev1.Endpoints{} //nolint:staticcheck // core/v1 Endpoints is part of the controller's job
			g.Expect(suite.Client.Get(ctx, client.ObjectKeyFromObject(svc), ep)).To(Succeed())
			g.Expect(ep.Subsets).To(HaveLen(1))
			g.Expect(ep.Subsets[0].Addresses).To(HaveLen(1))
			g.Expect(ep.Subsets[0].Addresses[0].IP).To(Equal("10.244.1.10"))
		}).Should(Succeed())
	}, SpecTimeout(2*time.Minute))

	It("mirrors hand-written Endpoints, records events and accepts a LoadBalancingPolicy", func(ctx SpecContext) {
		ns := "e2e-controller"
		By("a selectorless Service with hand-written Endpoints: mirrored into an EndpointSlice")
		legacy := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "legacy"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}},
		}
		Expect(suite.Client.Create(ctx, legacy)).To(Succeed())
		Expect(suite.Client.Create(ctx, &corev1.Endpoints{ //nolint:staticcheck // hand-written Endpoints are what mirroring reads
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "legacy"},
			Subsets: []corev1.EndpointSubset{{ //nolint:staticcheck // see above
				Addresses: []corev1.EndpointAddress{{IP: "10.244.9.9"}},       //nolint:staticcheck // see above
				Ports:     []corev1.EndpointPort{{Port: 80, Protocol: "TCP"}}, //nolint:staticcheck // see above
			}},
		})).To(Succeed())
		Eventually(ctx, func(g Gomega) {
			slices := &discoveryv1.EndpointSliceList{}
			g.Expect(suite.Client.List(ctx, slices, client.InNamespace(ns), client.MatchingLabels{
				discoveryv1.LabelServiceName: "legacy", discoveryv1.LabelManagedBy: endpoints.MirrorManagedByValue,
			})).To(Succeed())
			g.Expect(slices.Items).To(HaveLen(1))
			g.Expect(slices.Items[0].Endpoints).To(HaveLen(1))
			g.Expect(slices.Items[0].Endpoints[0].Addresses).To(Equal([]string{"10.244.9.9"}))
		}).Should(Succeed())

		By("a named target port no pod declares: reported as an event on the Service")
		named := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "named"},
			Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, TargetPort: intstr.FromString("no-such-port"), Protocol: corev1.ProtocolTCP},
			}},
		}
		Expect(suite.Client.Create(ctx, named)).To(Succeed())
		Eventually(ctx, func() []string {
			evs := &eventsv1.EventList{}
			_ = suite.Client.List(ctx, evs, client.InNamespace(ns))
			var reasons []string
			for _, e := range evs.Items {
				if e.Regarding.Name == "named" {
					reasons = append(reasons, e.Reason)
				}
			}
			return reasons
		}).Should(ContainElement(endpoints.ReasonPortNotFound))

		By("a LoadBalancingPolicy for Service web: its status says Accepted")
		policy := &v1alpha1.LoadBalancingPolicy{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web-sh"},
			Spec: v1alpha1.LoadBalancingPolicySpec{
				TargetRefs: []v1alpha1.LocalServiceReference{{Name: "web"}}, Scheduler: v1alpha1.SchedulerSourceHashing,
			},
		}
		Expect(suite.Client.Create(ctx, policy)).To(Succeed())
		Eventually(ctx, func() []metav1.Condition {
			_ = suite.Client.Get(ctx, client.ObjectKeyFromObject(policy), policy)
			return policy.Status.Conditions
		}).Should(ContainElement(And(
			HaveField("Type", "Accepted"), HaveField("Status", metav1.ConditionTrue),
		)))
	}, SpecTimeout(2*time.Minute))

	It("serves metrics to a metrics-reader and refuses anyone else (403), or no one (401)", func(ctx SpecContext) {
		url := proc.MetricsURL()
		reader, stranger := scraperToken(ctx, "reader", true), scraperToken(ctx, "stranger", false)
		Eventually(ctx, func(g Gomega) {
			code, body, err := scrape(ctx, url, reader)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(200))
			g.Expect(body).To(ContainSubstring("endpoint_slice_controller_syncs"))
		}).Should(Succeed())
		code, _, err := scrape(ctx, url, stranger)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(403))
		expectUnauthenticatedRefused(ctx, url)
	}, SpecTimeout(time.Minute))

	It("cannot read Secrets", func(ctx SpecContext) {
		expectNoSecretAccess(ctx, "slicelb-controller", kc)
	}, SpecTimeout(time.Minute))

	It("needed no permission it lacks (no forbidden request in its log) and stops cleanly on SIGTERM", func() {
		exited, err := proc.Exited()
		Expect(exited).To(BeFalse(), "slicelb-controller exited: %v", err)
		logs, err := proc.Logs()
		Expect(err).NotTo(HaveOccurred())
		Expect(logs).To(ContainSubstring("Starting"))
		Expect(forbiddenLines(logs)).To(BeEmpty())
		Expect(proc.Stop(15 * time.Second)).To(Succeed())
		_, err = proc.Exited()
		Expect(err).NotTo(HaveOccurred(), "exit status after SIGTERM")
	})
})
