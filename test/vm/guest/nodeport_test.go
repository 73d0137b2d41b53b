package guest

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/test/vm/netlab"
)

var _ = Describe("NodePort and externalIP Services programmed by the agent", func() {
	AfterEach(cleanupAgent)

	nodePortAddr := netip.AddrPortFrom(nodeIP, 30080)
	vip := netip.MustParseAddrPort("10.96.0.20:80")

	It("balances the node address's NodePort across all endpoints and masquerades (Cluster)", func() {
		svc := service("np", "10.96.0.20", corev1.ProtocolTCP, 80, nodePort(30080, corev1.ServiceExternalTrafficPolicyCluster))
		snap := snapshot([]*corev1.Service{svc},
			endpointSlice("np", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), remote(pods[2])))
		apply(startAgent(), snap)
		counts := split(nodePortAddr, 30)
		measure("NodePort (externalTrafficPolicy Cluster) on %s, 30 connections: %s", nodePortAddr, netlab.Format(counts))
		Expect(counts).To(Equal(map[string]int{"pod-1": 10, "pod-2": 10, "pod-3": 10}))

		// The source is the node (the pod's replies must return through this node's IPVS).
		rep, err := netlab.TCP(client.NS, nodePortAddr)
		Expect(err).NotTo(HaveOccurred())
		measure("NodePort (Cluster): %s saw source %s (client is %s)", rep.Name, rep.Source, client.IP)
		Expect(rep.Source).NotTo(Equal(client.IP.String()))

		// A restarted agent reads the masquerade rules back and finds nothing to write.
		restarted := apply(startAgent(), snap)
		measure("NodePort (Cluster): restarted agent's first sync made %d kernel writes", restarted.Writes)
		Expect(restarted.Writes).To(BeZero())
	})

	It("reaches only the node's own endpoints with externalTrafficPolicy Local, keeping the client address", func() {
		svc := service("np", "10.96.0.20", corev1.ProtocolTCP, 80, nodePort(30080, corev1.ServiceExternalTrafficPolicyLocal))
		apply(startAgent(), snapshot([]*corev1.Service{svc},
			endpointSlice("np", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), remote(pods[2]), remote(pods[3]))))
		external := split(nodePortAddr, 20)
		internal := split(vip, 20)
		measure("externalTrafficPolicy Local: NodePort %s; ClusterIP %s", netlab.Format(external), netlab.Format(internal))
		Expect(external).To(Equal(map[string]int{"pod-1": 10, "pod-2": 10}))
		// The ClusterIP (internal traffic policy Cluster) still reaches every endpoint.
		Expect(internal).To(Equal(map[string]int{"pod-1": 5, "pod-2": 5, "pod-3": 5, "pod-4": 5}))

		rep, err := netlab.TCP(client.NS, nodePortAddr)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Source).To(Equal(client.IP.String()))
	})

	It("binds an externalIP on slicelb0 and masquerades off-node traffic to it (Cluster)", func() {
		svc := service("ext", "10.96.0.21", corev1.ProtocolTCP, 80, externalIP("10.98.0.1", corev1.ServiceExternalTrafficPolicyCluster))
		apply(startAgent(), snapshot([]*corev1.Service{svc},
			endpointSlice("ext", corev1.ProtocolTCP, ready(pods[0]), remote(pods[1]))))
		Expect(kernel.netif.Addresses()).To(Equal([]netip.Addr{netip.MustParseAddr("10.96.0.21"), netip.MustParseAddr("10.98.0.1")}))
		ext := netip.MustParseAddrPort("10.98.0.1:80")
		counts := split(ext, 10)
		rep, err := netlab.TCP(client.NS, ext)
		Expect(err).NotTo(HaveOccurred())
		measure("externalIP (Cluster) 10.98.0.1:80, 10 connections: %s; %s saw source %s", netlab.Format(counts), rep.Name, rep.Source)
		Expect(counts).To(Equal(map[string]int{"pod-1": 5, "pod-2": 5}))
		Expect(rep.Source).NotTo(Equal(client.IP.String()))
	})
})
