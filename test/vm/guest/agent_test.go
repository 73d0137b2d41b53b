package guest

import (
	"context"
	"net/netip"
	"time"

	"github.com/google/nftables"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/test/vm/netlab"
)

// kernel holds the real kernel ports of the node (the VM's root namespace), shared by the specs
// the way one node agent process holds them; a new Syncer on the same ports is an agent restart.
var kernel struct {
	ipvs  *ipvs.Netlink
	netif *netif.Linux
	nat   *nat.NFTables
	ct    *conntrack.Linux
}

func openKernel() {
	var err error
	kernel.ipvs, err = ipvs.NewNetlinkAt(rootNS)
	Expect(err).NotTo(HaveOccurred())
	kernel.netif, err = netif.New(netif.Options{NetNS: rootNS})
	Expect(err).NotTo(HaveOccurred())
	kernel.nat, err = nat.New(rootNS)
	Expect(err).NotTo(HaveOccurred())
	kernel.ct, err = conntrack.New(rootNS)
	Expect(err).NotTo(HaveOccurred())
}

// startAgent is what slicelb-node does at start: a fresh Syncer on the node's kernel.
func startAgent() *agent.Syncer {
	GinkgoHelper()
	s, err := agent.NewSyncer(agent.SyncerOptions{
		IPVS: kernel.ipvs, Netif: kernel.netif, NAT: kernel.nat, Conntrack: kernel.ct,
		NodeName: nodeName,
	})
	Expect(err).NotTo(HaveOccurred())
	return s
}

// snapshot is what the agent's cache would hold.
func snapshot(svcs []*corev1.Service, slices ...*discoveryv1.EndpointSlice) agent.Snapshot {
	return agent.Snapshot{Services: svcs, Slices: slices, Node: nodeObject()}
}

func apply(s *agent.Syncer, snap agent.Snapshot) agent.Result {
	GinkgoHelper()
	res, err := s.Sync(context.Background(), snap, time.Now())
	Expect(err).NotTo(HaveOccurred())
	Expect(res.Errors).To(BeZero())
	return res
}

// table reads the whole IPVS table (owned or not).
func table() ipvs.Table {
	GinkgoHelper()
	t, err := ipvs.ReadTable(kernel.ipvs, nil)
	Expect(err).NotTo(HaveOccurred())
	return t
}

func vsKey(addr string, proto ipvs.Protocol, port uint16) ipvs.VirtualServerKey {
	return ipvs.VirtualServerKey{Address: netip.MustParseAddr(addr), Protocol: proto, Port: port}
}

// cleanupAgent runs `slicelb-node --cleanup` after a spec and checks it left no trace of the agent:
// no owned virtual server, no slicelb0, no nft table.
func cleanupAgent() {
	GinkgoHelper()
	_, err := startAgent().Cleanup(context.Background(), []netip.Addr{nodeIP, nodeIP6})
	Expect(err).NotTo(HaveOccurred())
	addrs, err := kernel.netif.Addresses()
	Expect(err).NotTo(HaveOccurred())
	Expect(addrs).To(BeEmpty())
	// The agent's Services use VIPs in these ranges and NodePorts on the node addresses; anything
	// left there after --cleanup would be a leak (foreign virtual servers live elsewhere).
	agentRanges := []netip.Prefix{netip.MustParsePrefix("10.96.0.0/24"), netip.MustParsePrefix("10.98.0.0/16"),
		netip.MustParsePrefix("fd00:96::/64"), netip.PrefixFrom(nodeIP, 32), netip.PrefixFrom(nodeIP6, 128)}
	for _, e := range table() {
		for _, p := range agentRanges {
			Expect(p.Contains(e.VirtualServer.Address)).To(BeFalse(), "--cleanup left %s", e.VirtualServer)
		}
	}
	tables, err := nftables.New(nftables.WithNetNSFd(int(rootNS)))
	Expect(err).NotTo(HaveOccurred())
	ts, err := tables.ListTables()
	Expect(err).NotTo(HaveOccurred())
	for _, t := range ts {
		Expect(t.Name).NotTo(Equal(nat.TableName), "--cleanup left an nftables table")
	}
}

// split counts n short connections from the client namespace (off the node) to addr.
func split(addr netip.AddrPort, n int) map[string]int {
	return netlab.Split(client.NS, addr, n)
}

// entry is the kernel's entry for key, which must exist.
func entry(key ipvs.VirtualServerKey) ipvs.Entry {
	GinkgoHelper()
	e, ok := table().Get(key)
	Expect(ok).To(BeTrue(), "virtual server %s is missing", key)
	return e
}
