package nat

import (
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
)

// chainSpec is one of our base chains. All are nat chains: they see only the first packet of a
// connection, which is all NAT decides on.
type chainSpec struct {
	name     string
	hook     *nftables.ChainHook
	priority *nftables.ChainPriority
}

var chainSpecs = []chainSpec{
	{name: "prerouting", hook: nftables.ChainHookPrerouting, priority: nftables.ChainPriorityNATDest},
	{name: "output", hook: nftables.ChainHookOutput, priority: nftables.ChainPriorityNATDest},
	{name: "postrouting", hook: nftables.ChainHookPostrouting, priority: nftables.ChainPriorityNATSource},
}

func (c chainSpec) chain(t *nftables.Table) *nftables.Chain {
	return &nftables.Chain{Name: c.name, Table: t, Type: nftables.ChainTypeNAT, Hooknum: c.hook, Priority: c.priority}
}

type nftRule struct {
	comment string
	exprs   []expr.Any
}

// chainRules are the rules of one family by chain name.
type chainRules map[string][]nftRule

func (c chainRules) empty() bool {
	for _, rs := range c {
		if len(rs) > 0 {
			return false
		}
	}
	return true
}

// layout places one family's rules: each masqueraded virtual server marks its packets in
// prerouting (from outside) and output (from the node itself); postrouting masquerades marked
// packets, then the hairpin rules.
func layout(rules []Rule, v6 bool) chainRules {
	out := chainRules{}
	marks := false
	for _, r := range rules {
		if r.Is6() != v6 {
			continue
		}
		switch r.Kind {
		case KindMasquerade:
			marks = true
			m := nftRule{comment: r.Comment(), exprs: markExprs(r)}
			out["prerouting"] = append(out["prerouting"], m)
			out["output"] = append(out["output"], m)
		case KindHairpin:
			out["postrouting"] = append(out["postrouting"], nftRule{comment: r.Comment(), exprs: hairpinExprs(r)})
		}
	}
	if marks {
		masq := nftRule{comment: "masquerade marked", exprs: masqueradeMarkedExprs()}
		out["postrouting"] = append([]nftRule{masq}, out["postrouting"]...)
	}
	return out
}

// matchL4 is `meta l4proto P`; transport header fields are read only after it.
func matchL4(r Rule) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(r.Protocol)}},
	}
}

// matchAddr is `ip|ip6 saddr|daddr A`.
func matchAddr(r Rule, dst bool) []expr.Any {
	addr := r.Target.Addr().Unmap()
	off, l := uint32(12), uint32(4) // IPv4 saddr
	if addr.Is6() {
		off, l = 8, 16
	}
	if dst {
		off += l
	}
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: l},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr.AsSlice()},
	}
}

// matchDport is `th dport PORT`: the destination port is at offset 2 of TCP, UDP and SCTP alike.
func matchDport(r Rule) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(r.Target.Port())},
	}
}

// markExprs: `meta l4proto P ip daddr VIP th dport PORT meta mark set mark | 0x4000`.
func markExprs(r Rule) []expr.Any {
	ex := append(matchL4(r), matchAddr(r, true)...)
	ex = append(ex, matchDport(r)...)
	return append(ex,
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(^MasqueradeMark), Xor: binaryutil.NativeEndian.PutUint32(MasqueradeMark)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
	)
}

// masqueradeMarkedExprs: `meta mark & 0x4000 != 0 masquerade`.
func masqueradeMarkedExprs() []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(MasqueradeMark), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Masq{},
	}
}

// hairpinExprs: `meta l4proto P ip saddr E ip daddr E th dport PORT masquerade`. In postrouting
// IPVS has already replaced the VIP by the endpoint, so source == destination is the hairpin.
func hairpinExprs(r Rule) []expr.Any {
	ex := append(matchL4(r), matchAddr(r, false)...)
	ex = append(ex, matchAddr(r, true)...)
	ex = append(ex, matchDport(r)...)
	return append(ex, &expr.Masq{})
}
