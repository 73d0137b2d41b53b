package guest

import (
	"fmt"
	"net"
	"net/netip"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

// podPort is where every pod's TCP and UDP servers listen.
const podPort = 8080

var (
	// pods are pod-1 … pod-4 at 10.0.1.2 … 10.0.4.2.
	pods []*netlab.Host
	// client (10.0.200.2) stands for a machine off the node: its packets reach the node's VIPs and
	// node address through the root namespace, like traffic arriving on a NIC.
	client *netlab.Host
)

var _ = BeforeSuite(func() {
	// The agent logs through controller-runtime's logger: into the spec's output, not a warning.
	crlog.SetLogger(GinkgoLogr)
	// A node routes between its pods and the outside; the agent sets this too, but the lab's own
	// direct checks below must not depend on the agent.
	Expect(os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644)).To(Succeed())
	// IPv6 forwarding is the node's business (turning it on disables router advertisements on a real
	// host), not the agent's; the lab's node forwards.
	Expect(os.WriteFile("/proc/sys/net/ipv6/conf/all/forwarding", []byte("1\n"), 0o644)).To(Succeed())
	var err error
	for i := 1; i <= 4; i++ {
		var p *netlab.Host
		p, err = netlab.NewHost(rootNS, fmt.Sprintf("pod-%d", i), i)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Serve(podPort)).To(Succeed())
		pods = append(pods, p)
	}
	client, err = netlab.NewHost(rootNS, "client", 200)
	Expect(err).NotTo(HaveOccurred())

	// The node's own address lives on node0, a dummy device like a NIC without the wire.
	nl, err := netlink.NewHandleAt(rootNS, unix.NETLINK_ROUTE)
	Expect(err).NotTo(HaveOccurred())
	defer nl.Close()
	Expect(nl.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "node0"}})).To(Succeed())
	node0, err := nl.LinkByName("node0")
	Expect(err).NotTo(HaveOccurred())
	Expect(nl.AddrAdd(node0, &netlink.Addr{IPNet: &net.IPNet{IP: nodeIP.AsSlice(), Mask: net.CIDRMask(32, 32)}})).To(Succeed())
	Expect(nl.AddrAdd(node0, &netlink.Addr{IPNet: &net.IPNet{IP: nodeIP6.AsSlice(), Mask: net.CIDRMask(128, 128)},
		Flags: unix.IFA_F_NODAD})).To(Succeed())
	Expect(nl.LinkSetUp(node0)).To(Succeed())
	openKernel()

	// Every pod answers directly before anything balances to it.
	for _, p := range pods {
		rep, err := netlab.TCP(client.NS, netip.AddrPortFrom(p.IP, podPort))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep).To(Equal(netlab.Reply{Name: p.Name, Source: client.IP.String()}))
		rep, err = netlab.TCP(client.NS, netip.AddrPortFrom(p.IP6, podPort))
		Expect(err).NotTo(HaveOccurred())
		Expect(rep).To(Equal(netlab.Reply{Name: p.Name, Source: client.IP6.String()}))
	}
})

// newNetif opens the VIP device in the node's namespace.
func newNetif() *netif.Linux {
	GinkgoHelper()
	n, err := netif.New(netif.Options{NetNS: rootNS})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(n.Close)
	return n
}
