package guest

import (
	"net/netip"
	"syscall"

	"github.com/moby/ipvs"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

// This spec programs IPVS by hand, without slicelb's proxier: it proves the harness itself (kernel,
// modules, namespaces, servers, VIP device) so a failure in the agent's specs is the agent's.
var _ = Describe("The VM harness", func() {
	It("balances real TCP connections round-robin through a hand-made IPVS virtual server", func() {
		vip := netip.MustParseAddr("10.96.250.1")
		n := newNetif()
		Expect(n.EnsureDevice()).To(Succeed())
		Expect(n.EnsureSysctls(netif.Sysctls{})).To(Succeed())
		Expect(n.SyncAddresses([]netip.Addr{vip})).To(Equal(netif.Change{Added: []netip.Addr{vip}}))
		DeferCleanup(func() { Expect(n.SyncAddresses(nil)).Error().NotTo(HaveOccurred()) })

		h, err := ipvs.New("")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(h.Close)
		svc := &ipvs.Service{Address: vip.AsSlice(), Protocol: syscall.IPPROTO_TCP, Port: 80,
			SchedName: "rr", AddressFamily: syscall.AF_INET, Netmask: 0xffffffff}
		Expect(h.NewService(svc)).To(Succeed())
		DeferCleanup(func() { Expect(h.DelService(svc)).To(Succeed()) })
		for _, p := range pods[:3] {
			Expect(h.NewDestination(svc, &ipvs.Destination{Address: p.IP.AsSlice(), Port: podPort, Weight: 1,
				ConnectionFlags: ipvs.ConnectionFlagMasq, AddressFamily: syscall.AF_INET})).To(Succeed())
		}

		counts := netlab.Split(client.NS, netip.AddrPortFrom(vip, 80), 30)
		measure("harness rr split over 3 pods, 30 connections from the client namespace: %s", netlab.Format(counts))
		Expect(counts).To(Equal(map[string]int{"pod-1": 10, "pod-2": 10, "pod-3": 10}))
	})
})
