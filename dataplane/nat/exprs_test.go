package nat

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

func comments(c chainRules) map[string][]string {
	out := map[string][]string{}
	for chain, rs := range c {
		for _, r := range rs {
			out[chain] = append(out[chain], r.comment)
		}
	}
	return out
}

func TestLayout(t *testing.T) {
	rules := DesiredRules(
		[]ipvs.VirtualServerKey{key(ipvs.TCP, "192.168.1.10:30080"), key(ipvs.UDP, "[fd00::10]:30053")},
		[]proxier.Hairpin{{Protocol: ipvs.TCP, Endpoint: netip.MustParseAddrPort("10.0.1.2:8080")}},
	)
	v4 := map[string][]string{
		"prerouting":  {"masquerade TCP 192.168.1.10:30080"},
		"output":      {"masquerade TCP 192.168.1.10:30080"},
		"postrouting": {"masquerade marked", "hairpin TCP 10.0.1.2:8080"},
	}
	v6 := map[string][]string{
		"prerouting":  {"masquerade UDP [fd00::10]:30053"},
		"output":      {"masquerade UDP [fd00::10]:30053"},
		"postrouting": {"masquerade marked"},
	}
	if got := comments(layout(rules, false)); !reflect.DeepEqual(got, v4) {
		t.Errorf("IPv4 layout = %v, want %v", got, v4)
	}
	if got := comments(layout(rules, true)); !reflect.DeepEqual(got, v6) {
		t.Errorf("IPv6 layout = %v, want %v", got, v6)
	}
	// Hairpin only: no mark rules, and no "masquerade marked" rule that nothing would feed.
	hp := layout(DesiredRules(nil, []proxier.Hairpin{{Protocol: ipvs.UDP, Endpoint: netip.MustParseAddrPort("10.0.1.2:53")}}), false)
	if got, want := comments(hp), map[string][]string{"postrouting": {"hairpin UDP 10.0.1.2:53"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("hairpin-only layout = %v, want %v", got, want)
	}
	if !layout(nil, false).empty() || hp.empty() {
		t.Error("empty() is wrong")
	}
	if !sameComments(comments(layout(rules, false)), layout(rules, false)) || sameComments(nil, layout(rules, false)) {
		t.Error("sameComments is wrong")
	}
}
