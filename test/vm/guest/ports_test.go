package guest

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/nftables"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"

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

	It("netif holds exactly the wanted VIPs as /32 and /128, removes stale ones, sets the sysctls and deletes the device", func() {
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
		// The kernel's IPv6 link-local address on the device is not a VIP.
		Expect(n.Addresses()).To(Equal([]netip.Addr{a, b, c}))
		link, err := netlink.LinkByName(netif.DefaultDevice)
		Expect(err).NotTo(HaveOccurred())
		kernelAddrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
		Expect(err).NotTo(HaveOccurred())
		var prefixes []string
		for _, ka := range kernelAddrs {
			if !ka.IP.IsLinkLocalUnicast() {
				prefixes = append(prefixes, ka.IPNet.String())
			}
		}
		Expect(prefixes).To(ConsistOf("10.96.1.1/32", "10.96.1.2/32", "fd00:96::1/128"))

		Expect(n.SyncAddresses([]netip.Addr{b, c})).To(Equal(netif.Change{Removed: []netip.Addr{a}}))
		Expect(n.SyncAddresses([]netip.Addr{b, c})).To(Equal(netif.Change{}))
		Expect(n.DeleteDevice()).To(Succeed())
		Expect(n.Addresses()).To(BeEmpty())
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
