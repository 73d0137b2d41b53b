package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/slicelb/slicelb/test/cluster"
)

// nodeName is the Node the node agent serves in these specs.
const nodeName = "e2e-node"

// This host's kernel has no IPVS, so slicelb-node runs with --fake-kernel: the binary's own wiring
// (cache, informers, sync loop, events, probes, secure metrics) over the in-memory kernel ports.
// What is under test here is its API access with exactly the deployed RBAC; the binary programs
// a real kernel against this control plane in the test VM.
var _ = Describe("slicelb-node as its own ServiceAccount (--fake-kernel: no IPVS on this host)", Ordered, func() {
	var (
		proc   *cluster.Binary
		reader string // a metrics-reader's token
	)

	BeforeAll(func(ctx SpecContext) {
		Expect(ensureDeployed(ctx)).To(Succeed(), deployed.output)
		Expect(suite.Client.Create(ctx, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: nodeName},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: "192.168.50.10"},
			}},
		})).To(Succeed())
		var err error
		proc, err = suite.Cluster.StartNode(ctx, suite.Binaries.Node, nodeName, "--fake-kernel")
		Expect(err).NotTo(HaveOccurred())
		By("started slicelb-node " + strings.Join(proc.Args, " "))
		DeferCleanup(func() { _ = proc.Stop(15 * time.Second) }) // the last spec checks a clean stop
		reader = scraperToken(ctx, "reader", true)
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() {
			logs, _ := proc.Logs()
			AddReportEntry("slicelb-node log", logs)
		}
	})

	It("becomes ready: its first sync ran", func(ctx SpecContext) {
		Eventually(ctx, func() int {
			failFastOnForbidden(proc.Process)
			return probe(ctx, proc.ReadyzURL())
		}).Should(Equal(200))
	}, SpecTimeout(2*time.Minute))

	It("programs a new Service's ports and endpoints from its EndpointSlice", func(ctx SpecContext) {
		vs0, rs0 := nodeGauge(ctx, proc, reader, "slicelb_node_virtual_servers"), nodeGauge(ctx, proc, reader, "slicelb_node_real_servers")
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-node-agent"}}
		Expect(suite.Client.Create(ctx, ns)).To(Succeed())
		Expect(suite.Client.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "api"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP},
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
			}},
		})).To(Succeed())
		Expect(suite.Client.Create(ctx, &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: "api-1", Labels: map[string]string{
				discoveryv1.LabelServiceName: "api", discoveryv1.LabelManagedBy: "e2e.slicelb.io",
			}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{
				Addresses: []string{"10.244.2.10"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
				NodeName: ptr.To(nodeName),
			}},
			Ports: []discoveryv1.EndpointPort{
				{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)},
				{Name: ptr.To("dns"), Port: ptr.To[int32](5353), Protocol: ptr.To(corev1.ProtocolUDP)},
			},
		})).To(Succeed())
		// One virtual server per Service port, one real server per endpoint and port.
		Eventually(ctx, func() [2]float64 {
			failFastOnForbidden(proc.Process)
			return [2]float64{
				nodeGauge(ctx, proc, reader, "slicelb_node_virtual_servers"),
				nodeGauge(ctx, proc, reader, "slicelb_node_real_servers"),
			}
		}).Should(Equal([2]float64{vs0 + 2, rs0 + 2}))
	}, SpecTimeout(2*time.Minute))

	It("serves metrics to a metrics-reader only (403 for others, 401 without a valid token)", func(ctx SpecContext) {
		code, body, err := scrape(ctx, proc.MetricsURL(), reader)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(200))
		Expect(body).To(ContainSubstring("slicelb_node_syncs_total"))
		code, _, err = scrape(ctx, proc.MetricsURL(), scraperToken(ctx, "stranger", false))
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(403))
		expectUnauthenticatedRefused(ctx, proc.MetricsURL())
	}, SpecTimeout(time.Minute))

	It("cannot read Secrets", func(ctx SpecContext) {
		expectNoSecretAccess(ctx, "slicelb-node", proc.Kubeconfig)
	}, SpecTimeout(time.Minute))

	It("needed no permission it lacks (no forbidden request in its log) and stops cleanly on SIGTERM", func() {
		exited, err := proc.Exited()
		Expect(exited).To(BeFalse(), "slicelb-node exited: %v", err)
		logs, err := proc.Logs()
		Expect(err).NotTo(HaveOccurred())
		Expect(logs).To(ContainSubstring("Starting slicelb-node"))
		Expect(forbiddenLines(logs)).To(BeEmpty())
		Expect(proc.Stop(15 * time.Second)).To(Succeed())
		_, err = proc.Exited()
		Expect(err).NotTo(HaveOccurred(), "exit status after SIGTERM")
	})
})

// nodeGauge reads an unlabelled gauge from the agent's metrics endpoint.
func nodeGauge(ctx context.Context, b *cluster.Binary, token, name string) float64 {
	GinkgoHelper()
	// The metrics server starts next to the health probes, not before them: /readyz can answer a
	// moment before the metrics port listens, so wait for the first successful scrape.
	var body string
	Eventually(ctx, func(g Gomega) {
		code, text, err := scrape(ctx, b.MetricsURL(), token)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(200))
		body = text
	}).WithTimeout(30 * time.Second).Should(Succeed())
	v, err := gaugeValue(body, name)
	Expect(err).NotTo(HaveOccurred())
	return v
}

// gaugeValue finds "NAME VALUE" in Prometheus text exposition.
func gaugeValue(body, name string) (float64, error) {
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}
