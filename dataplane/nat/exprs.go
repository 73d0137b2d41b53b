package nat

import (
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
)

// layoutVersion is part of every rule comment: a future layout reads as "different" and the table
// is rebuilt instead of being patched.
const layoutVersion = "slicelb-nat-v1"

// The sets of each table: which virtual servers are masqueraded, and which endpoints are hairpin
// candidates. Lookups are hash lookups, so a node with thousands of Services pays one lookup per
// new connection, not a walk over thousands of rules (kube-proxy uses ipsets for the same reason).
const (
	setMasquerade = "masquerade" // daddr . l4proto . dport
	setHairpin    = "hairpin"    // daddr . l4proto . dport . saddr (the endpoint twice)
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

// family describes one table: ip or ip6.
type family struct {
	table *nftables.Table
	v6    bool
}

func (f family) String() string {
	if f.v6 {
		return "ip6 " + TableName
	}
	return "ip " + TableName
}

func families() []family {
	return []family{
		{table: &nftables.Table{Name: TableName, Family: nftables.TableFamilyIPv4}},
		{table: &nftables.Table{Name: TableName, Family: nftables.TableFamilyIPv6}, v6: true},
	}
}

func (f family) addrType() nftables.SetDatatype {
	if f.v6 {
		return nftables.TypeIP6Addr
	}
	return nftables.TypeIPAddr
}

// addr returns the header offset of the source address and the address length.
func (f family) addr() (saddr, length uint32) {
	if f.v6 {
		return 8, 16
	}
	return 12, 4
}

func (f family) sets() []*nftables.Set {
	return []*nftables.Set{
		{Table: f.table, Name: setMasquerade, Concatenation: true,
			KeyType: nftables.MustConcatSetType(f.addrType(), nftables.TypeInetProto, nftables.TypeInetService)},
		{Table: f.table, Name: setHairpin, Concatenation: true,
			KeyType: nftables.MustConcatSetType(f.addrType(), nftables.TypeInetProto, nftables.TypeInetService, f.addrType())},
	}
}

// ruleSpec is a static rule: the sets carry what changes.
type ruleSpec struct {
	chain   string
	comment string
	exprs   func(f family, sets map[string]*nftables.Set) []expr.Any
}

var ruleSpecs = []ruleSpec{
	{chain: "prerouting", comment: layoutVersion + ": mark connections to masqueraded virtual servers", exprs: markExprs},
	{chain: "output", comment: layoutVersion + ": mark connections to masqueraded virtual servers", exprs: markExprs},
	{chain: "postrouting", comment: layoutVersion + ": masquerade marked connections", exprs: masqueradeMarkedExprs},
	{chain: "postrouting", comment: layoutVersion + ": masquerade hairpin connections", exprs: hairpinExprs},
}

// reg is the nft 32-bit register holding byte offset off of a concatenation: NFT_REG32_00 is 8,
// and every field starts on a 4-byte boundary.
func reg(off uint32) uint32 { return 8 + off/4 }

// loadConcat loads `daddr . l4proto . dport` (and `. saddr` for the hairpin key) into consecutive
// registers starting at NFT_REG32_00; the kernel zeroes each register's padding.
func loadConcat(f family, withSaddr bool) []expr.Any {
	saddrOff, l := f.addr()
	ex := []expr.Any{
		&expr.Payload{DestRegister: reg(0), Base: expr.PayloadBaseNetworkHeader, Offset: saddrOff + l, Len: l},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg(l)},
		// The destination port sits at offset 2 of TCP, UDP and SCTP headers alike.
		&expr.Payload{DestRegister: reg(l + 4), Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
	}
	if withSaddr {
		ex = append(ex, &expr.Payload{DestRegister: reg(l + 8), Base: expr.PayloadBaseNetworkHeader, Offset: saddrOff, Len: l})
	}
	return ex
}

func lookup(s *nftables.Set) *expr.Lookup {
	return &expr.Lookup{SourceRegister: reg(0), SetName: s.Name, SetID: s.ID}
}

// markExprs: `ip daddr . meta l4proto . th dport @masquerade meta mark set mark | 0x4000`. It runs
// before IPVS rewrites the destination (prerouting for traffic from outside, output for the node's).
func markExprs(f family, sets map[string]*nftables.Set) []expr.Any {
	return append(loadConcat(f, false),
		lookup(sets[setMasquerade]),
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(^MasqueradeMark), Xor: binaryutil.NativeEndian.PutUint32(MasqueradeMark)},
		&expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: 1},
	)
}

// masqueradeMarkedExprs: `meta mark & 0x4000 != 0 masquerade`.
func masqueradeMarkedExprs(family, map[string]*nftables.Set) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(MasqueradeMark), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Masq{},
	}
}

// hairpinExprs: `ip daddr . meta l4proto . th dport . ip saddr @hairpin masquerade`. In postrouting
// IPVS has already replaced the VIP by the endpoint, so an element (E, proto, port, E) matches a
// pod talking to itself through a Service.
func hairpinExprs(f family, sets map[string]*nftables.Set) []expr.Any {
	return append(loadConcat(f, true), lookup(sets[setHairpin]), &expr.Masq{})
}

// elementKey encodes a rule as an element of its set, each field padded to 4 bytes as the
// registers hold it: addr | proto 0 0 0 | port(BE) 0 0 [| addr].
func elementKey(r Rule) []byte {
	a := r.Target.Addr().Unmap().AsSlice()
	p := r.Target.Port()
	k := append([]byte{}, a...)
	k = append(k, byte(r.Protocol), 0, 0, 0, byte(p>>8), byte(p), 0, 0)
	if r.Kind == KindHairpin {
		k = append(k, a...)
	}
	return k
}

// setOf names the set a rule's element belongs to.
func setOf(r Rule) string {
	if r.Kind == KindHairpin {
		return setHairpin
	}
	return setMasquerade
}

// elements groups one family's rules as set elements (hex-encoded keys) by set name.
func elements(rules []Rule, v6 bool) map[string]map[string][]byte {
	out := map[string]map[string][]byte{setMasquerade: {}, setHairpin: {}}
	for _, r := range rules {
		if r.Is6() == v6 {
			k := elementKey(r)
			out[setOf(r)][string(k)] = k
		}
	}
	return out
}
