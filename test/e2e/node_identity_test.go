package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/test/cluster"
)

// nodeName is the Node the node agent serves in these specs.
const nodeName = "e2e-node"

// This host's kernel has no IPVS, so slicelb-node's binary cannot start here (it refuses to run
// without /proc/net/ip_vs). What is under test in this file is its API access: the agent
// (dataplane/agent: the cache options, informers, sync loop and event recorder cmd/node wires)
// runs in this process over the in-memory kernel ports, with a manager built from the node
// ServiceAccount's token alone and cmd/node's secure metrics endpoint. The binary itself runs
// against this control plane inside the test VM (the VM specs).
var _ = Describe("slicelb-node's API access as its own ServiceAccount (agent in-process, in-memory kernel)", Ordered, func() {
	var (
		kc          cluster.Kubeconfig
		kernel      *ipvs.Fake
		health      *agent.Health
		logs        *lockedBuffer
		metricsPort int
		stopped     chan error
	)

	BeforeAll(func(ctx SpecContext) {
		Expect(ensureDeployed(ctx)).To(Succeed(), deployed.output)
		_, kc = serviceAccountKubeconfig(ctx, "slicelb-node")
		Expect(suite.Client.Create(ctx, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: nodeName},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: "192.168.50.10"},
			}},
		})).To(Succeed())

		var err error
		metricsPort, err = cluster.FreePort()
		Expect(err).NotTo(HaveOccurred())
		logs = inProcessLog
		scheme := runtime.NewScheme()
		Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
		Expect(v1alpha1.AddToScheme(scheme)).To(Succeed())
		// cmd/node's managerOptions, with the listen address on a free loopback port.
		mgr, err := ctrl.NewManager(kc.RESTConfig(), ctrl.Options{
			Scheme: scheme,
			Metrics: metricsserver.Options{
				BindAddress: fmt.Sprintf("127.0.0.1:%d", metricsPort), SecureServing: true,
				FilterProvider: filters.WithAuthenticationAndAuthorization,
			},
			HealthProbeBindAddress: "0",
			Cache:                  agent.CacheOptions(nodeName, ""),
		})
		Expect(err).NotTo(HaveOccurred())
		kernel = ipvs.NewFake()
		syncer, err := agent.NewSyncer(agent.SyncerOptions{
			IPVS: kernel, Netif: netif.NewFake(), NAT: &nat.Fake{}, Conntrack: &conntrack.Fake{},
			NodeName: nodeName, Metrics: agent.NewMetrics(metrics.Registry),
		})
		Expect(err).NotTo(HaveOccurred())
		health = agent.NewHealth(nil, 30*time.Second)
		Expect(mgr.Add(agent.NewAgent(agent.AgentOptions{
			Cache: mgr.GetCache(), Syncer: syncer, NodeName: nodeName,
			MinSyncPeriod: 100 * time.Millisecond, SyncPeriod: 30 * time.Second, Health: health,
			Recorder: mgr.GetEventRecorder("slicelb-node"), WatchPolicies: true,
		}))).To(Succeed())

		mgrCtx, cancel := context.WithCancel(context.Background())
		stopped = make(chan error, 1)
		go func() { stopped <- mgr.Start(mgrCtx) }()
		DeferCleanup(func() {
			cancel()
			Eventually(stopped).WithTimeout(15 * time.Second).Should(Receive(Succeed()))
		})
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() {
			AddReportEntry("node agent log", logs.String())
		}
	})

	It("syncs the node: a Service's VIP is programmed from its EndpointSlice", func(ctx SpecContext) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-node-agent"}}
		Expect(suite.Client.Create(ctx, ns)).To(Succeed())
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "api"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}},
		}
		Expect(suite.Client.Create(ctx, svc)).To(Succeed())
		Expect(suite.Client.Create(ctx, &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "api-1", Labels: map[string]string{
				discoveryv1.LabelServiceName: "api", discoveryv1.LabelManagedBy: "e2e.slicelb.io",
			}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{
				Addresses: []string{"10.244.2.10"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
				NodeName: ptr.To(nodeName),
			}},
			Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
		})).To(Succeed())

		vip := netip.MustParseAddr(svc.Spec.ClusterIP)
		key := ipvs.VirtualServerKey{Address: vip, Protocol: ipvs.TCP, Port: 80}
		Eventually(ctx, func(g Gomega) {
			failFastOnForbiddenLog(logs.String())
			e, ok := kernel.State().Get(key)
			g.Expect(ok).To(BeTrue(), "no virtual server %s in\n%s", key, kernel.State())
			g.Expect(e.RealServers).To(HaveLen(1))
			g.Expect(netip.AddrPortFrom(e.RealServers[0].Address, e.RealServers[0].Port)).To(Equal(netip.MustParseAddrPort("10.244.2.10:8080")))
		}).Should(Succeed())
		Expect(health.LastSync().IsZero()).To(BeFalse(), "the agent recorded no successful sync")
	}, SpecTimeout(2*time.Minute))

	It("serves metrics to a metrics-reader and refuses anyone else", func(ctx SpecContext) {
		url := fmt.Sprintf("https://127.0.0.1:%d/metrics", metricsPort)
		reader, stranger := scraperToken(ctx, "reader", true), scraperToken(ctx, "stranger", false)
		Eventually(ctx, func(g Gomega) {
			code, body, err := scrape(ctx, url, reader)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(200))
			g.Expect(body).To(ContainSubstring("slicelb_node_syncs_total"))
		}).Should(Succeed())
		code, _, err := scrape(ctx, url, stranger)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(403))
	}, SpecTimeout(time.Minute))

	It("cannot read Secrets", func(ctx SpecContext) {
		expectNoSecretAccess(ctx, "slicelb-node", kc)
	}, SpecTimeout(time.Minute))

	It("needed no permission it lacks (no forbidden request in its log)", func() {
		Expect(logs.String()).NotTo(BeEmpty())
		Expect(forbiddenLines(logs.String())).To(BeEmpty())
	})
})
