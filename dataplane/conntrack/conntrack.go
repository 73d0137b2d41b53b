package conntrack

import (
	"net"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// Interface deletes conntrack entries for removed UDP real servers.
type Interface interface {
	// ClearUDP deletes the UDP conntrack entries from the virtual server vs to the real server rs.
	// A key whose protocol is not UDP is ignored: TCP connections drain and end by themselves.
	ClearUDP(vs ipvs.VirtualServerKey, rs netip.AddrPort) error
}

// Filter matches the conntrack flows of one UDP virtual server → real server pair. It implements
// netlink.CustomConntrackFilter (the library's own filter cannot match the reply source port).
type Filter struct {
	VirtualServer ipvs.VirtualServerKey
	RealServer    netip.AddrPort
}

var _ netlink.CustomConntrackFilter = Filter{}

// MatchConntrackFlow implements netlink.CustomConntrackFilter.
func (f Filter) MatchConntrackFlow(flow *netlink.ConntrackFlow) bool {
	if flow == nil || f.VirtualServer.Protocol != ipvs.UDP || flow.Forward.Protocol != uint8(ipvs.UDP) {
		return false
	}
	return sameIP(flow.Forward.DstIP, f.VirtualServer.Address) && flow.Forward.DstPort == f.VirtualServer.Port &&
		sameIP(flow.Reverse.SrcIP, f.RealServer.Addr()) && flow.Reverse.SrcPort == f.RealServer.Port()
}

func sameIP(ip net.IP, a netip.Addr) bool {
	b, ok := netip.AddrFromSlice(ip)
	return ok && b.Unmap() == a.Unmap()
}

// Fake records ClearUDP calls.
type Fake struct {
	mu      sync.Mutex
	cleared []Filter
}

var _ Interface = (*Fake)(nil)

// ClearUDP implements Interface.
func (f *Fake) ClearUDP(vs ipvs.VirtualServerKey, rs netip.AddrPort) error {
	if vs.Protocol != ipvs.UDP {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleared = append(f.cleared, Filter{VirtualServer: vs, RealServer: rs})
	return nil
}

// Cleared returns the pairs cleared so far, in call order.
func (f *Fake) Cleared() []Filter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Filter(nil), f.cleared...)
}
