package guest

import (
	"net/netip"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/slicelb/slicelb/test/vm/netlab"
)

var _ = Describe("Dual-stack Services programmed by the agent", func() {
	AfterEach(cleanupAgent)

	It("balances both cluster IPs and the IPv6 NodePort, masquerading external IPv6 traffic (Cluster)", func() {
		svc := service("dual", "10.96.0.60", corev1.ProtocolTCP, 80, dualStack("fd00:96::60"),
			nodePort(30060, corev1.ServiceExternalTrafficPolicyCluster))
		apply(startAgent(), snapshot([]*corev1.Service{svc},
			familySlice("dual", discoveryv1.AddressTypeIPv4, corev1.ProtocolTCP, ready(pods[0]), ready(pods[1])),
			familySlice("dual", discoveryv1.AddressTypeIPv6, corev1.ProtocolTCP, ready(pods[0]), ready(pods[1]))))
		Expect(kernel.netif.Addresses()).To(Equal([]netip.Addr{netip.MustParseAddr("10.96.0.60"), netip.MustParseAddr("fd00:96::60")}))

		v4 := split(netip.MustParseAddrPort("10.96.0.60:80"), 10)
		v6 := split(netip.MustParseAddrPort("[fd00:96::60]:80"), 10)
		np6Addr := netip.AddrPortFrom(nodeIP6, 30060)
		np6 := split(np6Addr, 10)
		rep, err := netlab.TCP(client.NS, np6Addr)
		Expect(err).NotTo(HaveOccurred())
		measure("dual-stack: IPv4 ClusterIP %s; IPv6 ClusterIP %s; IPv6 NodePort %s (%s saw source %s)",
			netlab.Format(v4), netlab.Format(v6), netlab.Format(np6), rep.Name, rep.Source)
		Expect(v4).To(Equal(map[string]int{"pod-1": 5, "pod-2": 5}))
		Expect(v6).To(Equal(map[string]int{"pod-1": 5, "pod-2": 5}))
		Expect(np6).To(Equal(map[string]int{"pod-1": 5, "pod-2": 5}))
		Expect(rep.Source).NotTo(Equal(client.IP6.String()))

		// The IPv6 cluster IP is pure DNAT like the IPv4 one.
		rep, err = netlab.TCP(client.NS, netip.MustParseAddrPort("[fd00:96::60]:80"))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep.Source).To(Equal(client.IP6.String()))

		// A client on the node itself: an IPv6 local route cannot name the VIP as its preferred
		// source (it is no interface's address), so source address selection picks one of the
		// node's own addresses (the longest prefix match with the VIP), which the pod's reply is
		// routed back to.
		rep, err = netlab.TCP(rootNS, netip.MustParseAddrPort("[fd00:96::60]:80"))
		Expect(err).NotTo(HaveOccurred())
		measure("IPv6 ClusterIP from the node itself: %s saw source %s", rep.Name, rep.Source)
		nodeAddrs, err := netlink.AddrList(nil, netlink.FAMILY_V6)
		Expect(err).NotTo(HaveOccurred())
		var global []string
		for _, a := range nodeAddrs {
			if a.IP.IsGlobalUnicast() {
				global = append(global, a.IP.String())
			}
		}
		Expect(global).To(ContainElement(rep.Source))
	})
})
