package envtestsuite

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/netif"
)

// node is one running agent over fake kernel ports.
type node struct {
	kernel *ipvs.Fake
	netif  *netif.Fake
	reg    *prometheus.Registry
	mgr    ctrl.Manager
	stop   context.CancelFunc
}

// startAgent runs a manager with the agent as cmd/node wires it, over fake kernel ports.
// maxSync is the agent's --sync-period in the suite: long, so that only events cause syncs.
const maxSync = time.Hour

func startAgent(minSync time.Duration) *node {
	n := &node{kernel: ipvs.NewFake(), netif: netif.NewFake(), reg: prometheus.NewRegistry()}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  agent.CacheOptions(nodeName, ""),
	})
	Expect(err).NotTo(HaveOccurred())
	syncer, err := agent.NewSyncer(agent.SyncerOptions{
		IPVS: n.kernel, Netif: n.netif, NodeName: nodeName, Metrics: agent.NewMetrics(n.reg),
		FullResyncPeriod: maxSync, // as cmd/node: event-driven syncs plan against the cached table
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(mgr.Add(agent.NewAgent(agent.AgentOptions{
		Cache: mgr.GetCache(), Syncer: syncer, NodeName: nodeName,
		MinSyncPeriod: minSync, SyncPeriod: maxSync,
		Health:        agent.NewHealth(nil, maxSync),
		Recorder:      mgr.GetEventRecorder("slicelb-node"),
		WatchPolicies: true,
	}))).To(Succeed())
	mctx, stop := context.WithCancel(ctx)
	n.mgr, n.stop = mgr, stop
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(mctx)).To(Succeed())
	}()
	DeferCleanup(stop)
	return n
}

// syncs returns slicelb_node_syncs_total by result.
func (n *node) syncs(result string) float64 {
	mfs, err := n.reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, mf := range mfs {
		if mf.GetName() != "slicelb_node_syncs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// virtualServer returns the virtual server clusterIP:80/TCP as programmed.
func (n *node) virtualServer(clusterIP string) (ipvs.VirtualServer, bool) {
	e, ok := n.kernel.State().Get(ipvs.VirtualServerKey{Address: netip.MustParseAddr(clusterIP), Protocol: ipvs.TCP, Port: 80})
	return e.VirtualServer, ok
}

// realServers returns the real servers of the virtual server clusterIP:80/TCP, or nil when the
// virtual server does not exist.
func (n *node) realServers(clusterIP string) []string {
	e, ok := n.kernel.State().Get(ipvs.VirtualServerKey{Address: netip.MustParseAddr(clusterIP), Protocol: ipvs.TCP, Port: 80})
	if !ok {
		return nil
	}
	out := []string{}
	for _, rs := range e.RealServers {
		out = append(out, rs.AddrPort().String())
	}
	return out
}

func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "agent-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// createService creates a ClusterIP Service on TCP 80 and its EndpointSlice with one ready
// endpoint podIP:8080, and returns the allocated cluster IP.
func createService(ns, name, podIP string) string {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
	Expect(k8sClient.Create(ctx, svc)).To(Succeed())
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-1", Labels: map[string]string{
			discoveryv1.LabelServiceName: name, discoveryv1.LabelManagedBy: "test.slicelb.io"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{podIP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}, NodeName: ptr.To(otherNode)}},
	}
	Expect(k8sClient.Create(ctx, slice)).To(Succeed())
	return svc.Spec.ClusterIP
}

func podIP(i int) string { return fmt.Sprintf("10.244.%d.%d", 1+i/200, 1+i%200) }
