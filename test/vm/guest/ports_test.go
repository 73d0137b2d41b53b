package guest

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/nftables"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/ipvs/ipvstest"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

var _ = Describe("The kernel ports, each on its own", func() {
	It("the netlink IPVS port behaves like the Fake the proxier's unit tests trust (ipvstest conformance)", func() {
		// Both families, TCP/UDP/SCTP, persistence and the hashed flag, in-place updates, error
		// mapping; it uses 10.250.0.0/16 and fd00:250::/32 VIPs that nothing binds and restores the table.
		before := table()
		Expect(ipvstest.Check(kernel.ipvs, ipvstest.DefaultAddresses)).To(Succeed())
		Expect(table()).To(Equal(before))
	})

	It("netif holds exactly the wanted VIPs as local /32 and /128 routes, removes stale ones, sets the sysctls and deletes the device", func() {
		n := newNetif()
		DeferCleanup(func() { Expect(n.DeleteDevice()).To(Succeed()) })
		Expect(n.EnsureDevice()).To(Succeed())
		Expect(n.EnsureSysctls(netif.Sysctls{StrictARP: true})).To(Succeed())
		for _, sc := range netif.Required(netif.Sysctls{StrictARP: true}) {
			b, err := os.ReadFile(filepath.Join("/proc/sys", sc.Path))
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.TrimSpace(string(b))).To(Equal(sc.Value), sc.Path)
		}

		a, b, c := netip.MustParseAddr("10.96.1.1"), netip.MustParseAddr("10.96.1.2"), netip.MustParseAddr("fd00:96::1")
		Expect(n.SyncAddresses([]netip.Addr{c, b, a})).To(Equal(netif.Change{Added: []netip.Addr{a, b, c}}))
		Expect(n.Addresses()).To(Equal([]netip.Addr{a, b, c}))
		Expect(vipRoutes()).To(ConsistOf("10.96.1.1/32", "10.96.1.2/32", "fd00:96::1/128"))
		// No address is bound: the kernel's IPv6 link-local address is all the device has.
		Expect(deviceAddresses()).To(BeEmpty())
		// Someone else's local route on the device (another protocol) is not a VIP of ours.
		link, err := netlink.LinkByName(netif.DefaultDevice)
		Expect(err).NotTo(HaveOccurred())
		foreign := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: netlink.NewIPNet(net.ParseIP("10.96.1.9")),
			Table: unix.RT_TABLE_LOCAL, Type: unix.RTN_LOCAL, Scope: netlink.SCOPE_HOST, Protocol: unix.RTPROT_STATIC}
		Expect(netlink.RouteAdd(foreign)).To(Succeed())
		Expect(n.Addresses()).To(Equal([]netip.Addr{a, b, c}))

		Expect(n.SyncAddresses([]netip.Addr{b, c})).To(Equal(netif.Change{Removed: []netip.Addr{a}}))
		Expect(n.SyncAddresses([]netip.Addr{b, c})).To(Equal(netif.Change{}))
		Expect(vipRoutes()).To(ConsistOf("10.96.1.2/32", "fd00:96::1/128"))
		Expect(n.SyncAddresses(nil)).To(Equal(netif.Change{Removed: []netip.Addr{b, c}}))
		Expect(vipRoutes()).To(BeEmpty())
		Expect(netlink.RouteDel(foreign)).To(Succeed())

		Expect(n.SyncAddresses([]netip.Addr{a})).To(Equal(netif.Change{Added: []netip.Addr{a}}))
		Expect(n.DeleteDevice()).To(Succeed())
		Expect(n.Addresses()).To(BeEmpty())
	})

	It("netif converts the VIP addresses of an older agent into local routes, counting them as owned until then", func() {
		n := newNetif()
		DeferCleanup(func() { Expect(n.DeleteDevice()).To(Succeed()) })
		Expect(n.EnsureDevice()).To(Succeed())
		a, c := netip.MustParseAddr("10.96.2.1"), netip.MustParseAddr("fd00:96::2")
		// What an agent before local routes left: the VIPs as addresses on slicelb0, one of them
		// already with its route from an interrupted conversion.
		link, err := netlink.LinkByName(netif.DefaultDevice)
		Expect(err).NotTo(HaveOccurred())
		Expect(netlink.AddrAdd(link, &netlink.Addr{IPNet: netlink.NewIPNet(a.AsSlice())})).To(Succeed())
		Expect(netlink.AddrAdd(link, &netlink.Addr{IPNet: netlink.NewIPNet(c.AsSlice()), Flags: unix.IFA_F_NODAD})).To(Succeed())
		// Appended (NLM_F_APPEND), as the agent adds it: next to the address's own local route.
		Expect(netlink.RouteAppend(&netlink.Route{LinkIndex: link.Attrs().Index, Dst: netlink.NewIPNet(a.AsSlice()),
			Table: unix.RT_TABLE_LOCAL, Type: unix.RTN_LOCAL, Scope: netlink.SCOPE_HOST, Protocol: netif.RouteProtocol})).To(Succeed())
		Expect(deviceAddresses()).To(ConsistOf("10.96.2.1/32", "fd00:96::2/128"))
		Expect(n.Addresses()).To(Equal([]netip.Addr{a, c}))

		Expect(n.EnsureDevice()).To(Succeed())
		Expect(deviceAddresses()).To(BeEmpty())
		Expect(vipRoutes()).To(ConsistOf("10.96.2.1/32", "fd00:96::2/128"))
		Expect(n.Addresses()).To(Equal([]netip.Addr{a, c}))
		// The VIPs are local through slicelb's routes (removing the last IPv4 address flushed the
		// device's IPv4 routes; the conversion adds them again).
		for _, vip := range []netip.Addr{a, c} {
			routes, err := netlink.RouteGet(vip.AsSlice())
			Expect(err).NotTo(HaveOccurred())
			Expect(routes).To(HaveLen(1))
			Expect(routes[0].Type).To(Equal(unix.RTN_LOCAL), "route to %s: %+v", vip, routes[0])
		}
		// Nothing left to convert: a second call writes nothing and changes nothing.
		Expect(n.EnsureDevice()).To(Succeed())
		Expect(n.SyncAddresses([]netip.Addr{a, c})).To(Equal(netif.Change{}))
	})

	It("nat writes only its own tables, writes nothing when unchanged, and its cleanup spares foreign tables", func() {
		conn, err := nftables.New(nftables.WithNetNSFd(int(rootNS)))
		Expect(err).NotTo(HaveOccurred())
		foreign := conn.AddTable(&nftables.Table{Name: "someone-else", Family: nftables.TableFamilyIPv4})
		conn.AddChain(&nftables.Chain{Name: "postrouting", Table: foreign, Type: nftables.ChainTypeNAT,
			Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
		Expect(conn.Flush()).To(Succeed())
		DeferCleanup(func() {
			conn.DelTable(foreign)
			Expect(conn.Flush()).To(Succeed())
		})
		tables := func() []string {
			ts, err := conn.ListTables()
			Expect(err).NotTo(HaveOccurred())
			var out []string
			for _, t := range ts {
				fam := "ip"
				if t.Family == nftables.TableFamilyIPv6 {
					fam = "ip6"
				}
				out = append(out, fam+" "+t.Name)
			}
			return out
		}

		masq := []ipvs.VirtualServerKey{vsKey("10.0.250.10", ipvs.TCP, 30080), vsKey("fd00::10", ipvs.UDP, 30053)}
		hairpin := []proxier.Hairpin{{Protocol: ipvs.TCP, Endpoint: netip.MustParseAddrPort("10.0.1.2:8080")}}
		Expect(kernel.nat.Sync(masq, hairpin)).To(BeTrue())
		Expect(kernel.nat.Sync(masq, hairpin)).To(BeFalse())
		// A second instance (a restarted agent) reads the rules back and agrees.
		again, err := nat.New(rootNS)
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Sync(masq, hairpin)).To(BeFalse())
		Expect(tables()).To(ConsistOf("ip someone-else", "ip slicelb", "ip6 slicelb"))
		// A change patches the set elements: here the IPv6 VS and the hairpin endpoint go.
		Expect(kernel.nat.Sync(masq[:1], nil)).To(BeTrue())
		Expect(kernel.nat.Sync(masq[:1], nil)).To(BeFalse())
		elements := func(t *nftables.Table, set string) int {
			s, err := conn.GetSetByName(t, set)
			Expect(err).NotTo(HaveOccurred())
			e, err := conn.GetSetElements(s)
			Expect(err).NotTo(HaveOccurred())
			return len(e)
		}
		v4 := &nftables.Table{Name: nat.TableName, Family: nftables.TableFamilyIPv4}
		v6 := &nftables.Table{Name: nat.TableName, Family: nftables.TableFamilyIPv6}
		Expect([]int{elements(v4, "masquerade"), elements(v4, "hairpin"), elements(v6, "masquerade"), elements(v6, "hairpin")}).
			To(Equal([]int{1, 0, 0, 0}))

		Expect(kernel.nat.Cleanup()).To(Succeed())
		Expect(tables()).To(ConsistOf("ip someone-else"))
		Expect(kernel.nat.Cleanup()).To(Succeed())
	})
})

// vipRoutes lists the local routes on slicelb0 in table local with slicelb's protocol and host
// scope, as prefixes: the kernel's view of the VIPs, read with the netlink library.
func vipRoutes() []string {
	GinkgoHelper()
	link, err := netlink.LinkByName(netif.DefaultDevice)
	Expect(err).NotTo(HaveOccurred())
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL,
		&netlink.Route{Table: unix.RT_TABLE_LOCAL, LinkIndex: link.Attrs().Index},
		netlink.RT_FILTER_TABLE|netlink.RT_FILTER_OIF)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, r := range routes {
		if r.Protocol == netif.RouteProtocol {
			Expect(r.Type).To(Equal(unix.RTN_LOCAL), "%+v", r)
			if r.Dst.IP.To4() != nil {
				// IPv6 routes have no scope; the kernel reports universe for every one.
				Expect(r.Scope).To(Equal(netlink.SCOPE_HOST), "%+v", r)
			}
			out = append(out, r.Dst.String())
		}
	}
	return out
}

// deviceAddresses lists the addresses on slicelb0 other than the kernel's IPv6 link-local one.
func deviceAddresses() []string {
	GinkgoHelper()
	link, err := netlink.LinkByName(netif.DefaultDevice)
	Expect(err).NotTo(HaveOccurred())
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	Expect(err).NotTo(HaveOccurred())
	var out []string
	for _, a := range addrs {
		if !a.IP.IsLinkLocalUnicast() {
			out = append(out, a.IPNet.String())
		}
	}
	return out
}
