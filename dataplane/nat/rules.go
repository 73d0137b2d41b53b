package nat

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// TableName is the name of the agent's tables (one per IP family).
const TableName = "slicelb"

// MasqueradeMark is the packet mark bit that flags a connection's first packet for masquerading
// (set in prerouting/output, acted on in postrouting). It is kube-proxy's KUBE-MARK-MASQ bit, with
// the same meaning, so the two never disagree on a node where both run.
const MasqueradeMark uint32 = 0x4000

// Interface is the masquerade port (the agent's NAT port).
type Interface interface {
	// Sync makes the tables masquerade traffic to the given virtual servers and hairpin traffic of
	// the given endpoints; changed reports whether it wrote (one transaction). No-op = no write.
	Sync(masquerade []ipvs.VirtualServerKey, hairpin []proxier.Hairpin) (changed bool, err error)
	// Cleanup deletes the agent's tables, and nothing else.
	Cleanup() error
}

// RuleKind tells what a Rule masquerades.
type RuleKind int

const (
	// KindMasquerade masquerades traffic whose original destination is a virtual server.
	KindMasquerade RuleKind = iota
	// KindHairpin masquerades traffic from an endpoint to itself.
	KindHairpin
)

// Rule is one masquerade rule, independent of nftables encoding.
type Rule struct {
	Kind     RuleKind
	Protocol ipvs.Protocol
	// Target is the virtual server (KindMasquerade) or the endpoint (KindHairpin).
	Target netip.AddrPort
}

// Is6 reports whether the rule belongs in the ip6 table.
func (r Rule) Is6() bool { return r.Target.Addr().Unmap().Is6() }

// String is the rule's canonical description, e.g. "masquerade TCP 192.168.1.10:30080".
func (r Rule) String() string {
	if r.Kind == KindHairpin {
		return fmt.Sprintf("hairpin %s %s", r.Protocol, r.Target)
	}
	return fmt.Sprintf("masquerade %s %s", r.Protocol, r.Target)
}

// DesiredRules returns the rules for the inputs: deduplicated, IPv4 rules first, then sorted by
// their String, so equal inputs give equal output whatever their order.
func DesiredRules(masquerade []ipvs.VirtualServerKey, hairpin []proxier.Hairpin) []Rule {
	seen := map[Rule]bool{}
	var out []Rule
	add := func(r Rule) {
		r.Target = netip.AddrPortFrom(r.Target.Addr().Unmap(), r.Target.Port())
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, k := range masquerade {
		add(Rule{Kind: KindMasquerade, Protocol: k.Protocol, Target: netip.AddrPortFrom(k.Address, k.Port)})
	}
	for _, h := range hairpin {
		add(Rule{Kind: KindHairpin, Protocol: h.Protocol, Target: h.Endpoint})
	}
	slices.SortFunc(out, func(a, b Rule) int {
		if a.Is6() != b.Is6() {
			if a.Is6() {
				return 1
			}
			return -1
		}
		return strings.Compare(a.String(), b.String())
	})
	return out
}
