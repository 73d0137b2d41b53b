package guest

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

var _ = Describe("ClusterIP Services programmed by the agent", func() {
	AfterEach(cleanupAgent)

	vip := netip.MustParseAddrPort("10.96.0.10:80")

	It("splits connections round-robin across the ready pods, and a resync writes nothing", func() {
		s := startAgent()
		snap := snapshot([]*corev1.Service{service("web", "10.96.0.10", corev1.ProtocolTCP, 80)},
			endpointSlice("web", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), ready(pods[2])))
		res := apply(s, snap)
		Expect(res.VirtualServers).To(Equal(1))
		Expect(res.RealServers).To(Equal(3))
		GinkgoWriter.Printf("kernel after the first sync:\n%s", table())

		counts := split(vip, 30)
		measure("ClusterIP rr split, 30 connections from off-node: %s", netlab.Format(counts))
		Expect(counts).To(Equal(map[string]int{"pod-1": 10, "pod-2": 10, "pod-3": 10}))

		// The VIP is pure DNAT: the pod sees the client's own address.
		rep, err := netlab.TCP(client.NS, vip)
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Source).To(Equal(client.IP.String()))

		// A client on the node itself (LOCAL_OUT): the VIP's local route has no preferred source,
		// and for a local route the kernel then makes the destination the source, so the pod sees
		// the VIP, as when the VIP was an address on slicelb0.
		rep, err = netlab.TCP(rootNS, vip)
		Expect(err).NotTo(HaveOccurred())
		measure("ClusterIP from the node itself: %s saw source %s", rep.Name, rep.Source)
		Expect(rep.Source).To(Equal(vip.Addr().String()))

		again := apply(s, snap)
		measure("ClusterIP no-op resync: %d kernel writes", again.Writes)
		Expect(again.Writes).To(BeZero())
	})

	It("keeps every connection of a client on one pod with sessionAffinity ClientIP", func() {
		svc := service("sticky", "10.96.0.10", corev1.ProtocolTCP, 80, clientIPAffinity)
		apply(startAgent(), snapshot([]*corev1.Service{svc},
			endpointSlice("sticky", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), ready(pods[2]))))
		e, ok := table().Get(vsKey("10.96.0.10", ipvs.TCP, 80))
		Expect(ok).To(BeTrue())
		Expect(e.VirtualServer.Persistent).To(BeTrue())
		Expect(e.VirtualServer.Timeout).To(Equal(uint32(10800)))

		counts := split(vip, 20)
		measure("ClientIP affinity, 20 connections from one client: %s", netlab.Format(counts))
		Expect(counts).To(HaveLen(1))
		Expect(counts).NotTo(HaveKey("error"))
	})

	It("sends no traffic to a not-ready endpoint", func() {
		apply(startAgent(), snapshot([]*corev1.Service{service("web", "10.96.0.10", corev1.ProtocolTCP, 80)},
			endpointSlice("web", corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]), notReady(pods[2]))))
		counts := split(vip, 20)
		measure("not-ready pod-3, 20 connections: %s", netlab.Format(counts))
		Expect(counts).To(Equal(map[string]int{"pod-1": 10, "pod-2": 10}))
	})

	It("falls back to serving terminating endpoints only when none is ready", func() {
		s := startAgent()
		// One ready endpoint: the terminating ones get nothing.
		apply(s, snapshot([]*corev1.Service{service("web", "10.96.0.10", corev1.ProtocolTCP, 80)},
			endpointSlice("web", corev1.ProtocolTCP, ready(pods[0]), terminating(pods[1]), terminating(pods[2]))))
		withReady := split(vip, 10)
		// No ready endpoint left: the serving terminating ones take the traffic (kube-proxy's fallback).
		apply(s, snapshot([]*corev1.Service{service("web", "10.96.0.10", corev1.ProtocolTCP, 80)},
			endpointSlice("web", corev1.ProtocolTCP, terminating(pods[1]), terminating(pods[2]))))
		fallback := split(vip, 10)
		measure("terminating fallback: with a ready pod %s; with none ready %s", netlab.Format(withReady), netlab.Format(fallback))
		Expect(withReady).To(Equal(map[string]int{"pod-1": 10}))
		Expect(fallback).To(Equal(map[string]int{"pod-2": 5, "pod-3": 5}))
	})

	It("lets a pod reach itself through its own Service (hairpin masquerade)", func() {
		apply(startAgent(), snapshot([]*corev1.Service{service("self", "10.96.0.10", corev1.ProtocolTCP, 80)},
			endpointSlice("self", corev1.ProtocolTCP, ready(pods[0]))))
		rep, err := netlab.TCP(pods[0].NS, vip)
		Expect(err).NotTo(HaveOccurred())
		measure("hairpin: pod-1 -> its own Service answered by %s, source seen %s", rep.Name, rep.Source)
		// Without masquerade the pod would answer itself directly and the connection would fail;
		// with it, the pod sees the node side of its veth.
		Expect(rep).To(Equal(netlab.Reply{Name: "pod-1", Source: pods[0].Gateway.String()}))
	})
})
