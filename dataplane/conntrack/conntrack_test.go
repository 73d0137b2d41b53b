package conntrack

import (
	"net"
	"net/netip"
	"reflect"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

func flow(proto uint8, vip string, vport uint16, rip string, rport uint16) *netlink.ConntrackFlow {
	return &netlink.ConntrackFlow{
		Forward: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP("10.0.200.2"), SrcPort: 40000,
			DstIP: net.ParseIP(vip), DstPort: vport},
		Reverse: netlink.IPTuple{Protocol: proto, SrcIP: net.ParseIP(rip), SrcPort: rport,
			DstIP: net.ParseIP("10.0.200.2"), DstPort: 40000},
	}
}

func TestFilterMatchesExactlyOnePair(t *testing.T) {
	f := Filter{
		VirtualServer: ipvs.VirtualServerKey{Address: netip.MustParseAddr("10.96.0.10"), Protocol: ipvs.UDP, Port: 53},
		RealServer:    netip.MustParseAddrPort("10.0.1.2:5353"),
	}
	tests := map[string]struct {
		flow *netlink.ConntrackFlow
		want bool
	}{
		"the pair":                   {flow(17, "10.96.0.10", 53, "10.0.1.2", 5353), true},
		"another real server":        {flow(17, "10.96.0.10", 53, "10.0.2.2", 5353), false},
		"same real server, new port": {flow(17, "10.96.0.10", 53, "10.0.1.2", 5354), false},
		"another VIP":                {flow(17, "10.96.0.11", 53, "10.0.1.2", 5353), false},
		"another service port":       {flow(17, "10.96.0.10", 54, "10.0.1.2", 5353), false},
		"TCP flow":                   {flow(6, "10.96.0.10", 53, "10.0.1.2", 5353), false},
		"nil":                        {nil, false},
	}
	for name, tc := range tests {
		if got := f.MatchConntrackFlow(tc.flow); got != tc.want {
			t.Errorf("%s: match = %v, want %v", name, got, tc.want)
		}
	}
	tcp := Filter{VirtualServer: ipvs.VirtualServerKey{Address: netip.MustParseAddr("10.96.0.10"), Protocol: ipvs.TCP, Port: 53},
		RealServer: f.RealServer}
	if tcp.MatchConntrackFlow(flow(6, "10.96.0.10", 53, "10.0.1.2", 5353)) {
		t.Error("a TCP virtual server's flows matched: only UDP entries are ever deleted")
	}
}

func TestFakeRecordsUDPOnly(t *testing.T) {
	var f Fake
	udp := ipvs.VirtualServerKey{Address: netip.MustParseAddr("fd00::a"), Protocol: ipvs.UDP, Port: 53}
	tcp := ipvs.VirtualServerKey{Address: netip.MustParseAddr("fd00::a"), Protocol: ipvs.TCP, Port: 53}
	rs := netip.MustParseAddrPort("[fd00:1::2]:53")
	if err := f.ClearUDP(tcp, rs); err != nil {
		t.Fatal(err)
	}
	if err := f.ClearUDP(udp, rs); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Cleared(), []Filter{{VirtualServer: udp, RealServer: rs}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Cleared() = %v, want %v", got, want)
	}
}
