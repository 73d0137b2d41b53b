package nat

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

func TestElementKey(t *testing.T) {
	tests := map[string]struct {
		rule Rule
		want []byte
	}{
		"IPv4 masquerade": {
			Rule{Kind: KindMasquerade, Protocol: ipvs.TCP, Target: netip.MustParseAddrPort("192.168.1.10:30080")},
			[]byte{192, 168, 1, 10, 6, 0, 0, 0, 0x75, 0x80, 0, 0},
		},
		"IPv4 hairpin carries the endpoint twice": {
			Rule{Kind: KindHairpin, Protocol: ipvs.UDP, Target: netip.MustParseAddrPort("10.0.1.2:53")},
			[]byte{10, 0, 1, 2, 17, 0, 0, 0, 0, 53, 0, 0, 10, 0, 1, 2},
		},
		"IPv6 SCTP masquerade": {
			Rule{Kind: KindMasquerade, Protocol: ipvs.SCTP, Target: netip.MustParseAddrPort("[fd00::1]:9")},
			[]byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 132, 0, 0, 0, 0, 9, 0, 0},
		},
	}
	for name, tc := range tests {
		if got := elementKey(tc.rule); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: elementKey = %v, want %v", name, got, tc.want)
		}
	}
}

func TestElementsPerFamily(t *testing.T) {
	rules := DesiredRules(
		[]ipvs.VirtualServerKey{key(ipvs.TCP, "192.168.1.10:30080"), key(ipvs.UDP, "[fd00::10]:30053")},
		[]proxier.Hairpin{{Protocol: ipvs.TCP, Endpoint: netip.MustParseAddrPort("10.0.1.2:8080")}},
	)
	hex := func(m map[string]map[string][]byte) map[string][]string {
		out := map[string][]string{}
		for set, elems := range m {
			out[set] = []string{}
			for _, k := range sortedKeys(elems) {
				out[set] = append(out[set], string(elems[k]))
			}
		}
		return out
	}
	v4 := map[string][]string{
		setMasquerade: {string(elementKey(rules[1]))},
		setHairpin:    {string(elementKey(rules[0]))},
	}
	v6 := map[string][]string{
		setMasquerade: {string(elementKey(rules[2]))},
		setHairpin:    {},
	}
	if got := hex(elements(rules, false)); !reflect.DeepEqual(got, v4) {
		t.Errorf("IPv4 elements = %q, want %q", got, v4)
	}
	if got := hex(elements(rules, true)); !reflect.DeepEqual(got, v6) {
		t.Errorf("IPv6 elements = %q, want %q", got, v6)
	}
}

func TestStaticRulesReferenceOurSetsAndChains(t *testing.T) {
	for _, f := range families() {
		names := map[string]bool{}
		for _, s := range f.sets() {
			names[s.Name] = true
		}
		if !reflect.DeepEqual(names, map[string]bool{setMasquerade: true, setHairpin: true}) {
			t.Fatalf("%s sets = %v", f, names)
		}
	}
	perChain := map[string]int{}
	for _, r := range ruleSpecs {
		perChain[r.chain]++
	}
	if want := map[string]int{"prerouting": 1, "output": 1, "postrouting": 2}; !reflect.DeepEqual(perChain, want) {
		t.Fatalf("rules per chain = %v, want %v", perChain, want)
	}
}
