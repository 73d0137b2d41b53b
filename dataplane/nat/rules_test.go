package nat

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

func key(proto ipvs.Protocol, ap string) ipvs.VirtualServerKey {
	a := netip.MustParseAddrPort(ap)
	return ipvs.VirtualServerKey{Address: a.Addr(), Protocol: proto, Port: a.Port()}
}

func TestDesiredRules(t *testing.T) {
	masq := []ipvs.VirtualServerKey{
		key(ipvs.TCP, "[fd00::10]:30080"), key(ipvs.TCP, "192.168.1.10:30080"), key(ipvs.UDP, "192.168.1.10:30053"),
		key(ipvs.TCP, "192.168.1.10:30080"), // duplicate
	}
	hairpin := []proxier.Hairpin{
		{Protocol: ipvs.TCP, Endpoint: netip.MustParseAddrPort("10.0.1.2:8080")},
		{Protocol: ipvs.UDP, Endpoint: netip.MustParseAddrPort("[fd00:1::2]:53")},
	}
	got := DesiredRules(masq, hairpin)
	want := []Rule{
		{Kind: KindHairpin, Protocol: ipvs.TCP, Target: netip.MustParseAddrPort("10.0.1.2:8080")},
		{Kind: KindMasquerade, Protocol: ipvs.TCP, Target: netip.MustParseAddrPort("192.168.1.10:30080")},
		{Kind: KindMasquerade, Protocol: ipvs.UDP, Target: netip.MustParseAddrPort("192.168.1.10:30053")},
		{Kind: KindHairpin, Protocol: ipvs.UDP, Target: netip.MustParseAddrPort("[fd00:1::2]:53")},
		{Kind: KindMasquerade, Protocol: ipvs.TCP, Target: netip.MustParseAddrPort("[fd00::10]:30080")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DesiredRules() =\n%v\nwant\n%v", got, want)
	}
	// Order of the inputs does not matter.
	rev := []ipvs.VirtualServerKey{masq[3], masq[2], masq[1], masq[0]}
	if again := DesiredRules(rev, []proxier.Hairpin{hairpin[1], hairpin[0]}); !reflect.DeepEqual(again, want) {
		t.Fatalf("reordered inputs gave %v", again)
	}
}

func TestFakeNoOpAndCleanup(t *testing.T) {
	var f Fake
	if changed, _ := f.Sync(nil, nil); changed || f.Writes() != 0 {
		t.Fatal("an empty sync on a fresh node wrote")
	}
	masq := []ipvs.VirtualServerKey{key(ipvs.TCP, "192.168.1.10:30080")}
	if changed, _ := f.Sync(masq, nil); !changed {
		t.Fatal("first sync did not write")
	}
	if changed, _ := f.Sync(masq, nil); changed || f.Writes() != 1 {
		t.Fatalf("repeated sync wrote (writes %d)", f.Writes())
	}
	if err := f.Cleanup(); err != nil || len(f.Rules()) != 0 || f.Writes() != 2 {
		t.Fatalf("cleanup: err %v, rules %v, writes %d", err, f.Rules(), f.Writes())
	}
}
