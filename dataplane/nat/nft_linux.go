package nat

import (
	"errors"
	"fmt"
	"slices"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// NFTables is the nf_tables netlink implementation of Interface.
type NFTables struct {
	conn *nftables.Conn
}

var _ Interface = (*NFTables)(nil)

// New opens an nf_tables netlink connection in ns; the zero handle (or netns.None()) means the
// current namespace.
func New(ns netns.NsHandle) (*NFTables, error) {
	var opts []nftables.ConnOption
	if ns > 0 {
		opts = append(opts, nftables.WithNetNSFd(int(ns)))
	}
	c, err := nftables.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("opening nf_tables netlink: %w", err)
	}
	return &NFTables{conn: c}, nil
}

// Close releases the connection's socket, if it holds one (each request opens its own otherwise).
func (n *NFTables) Close() error { return n.conn.CloseLasting() }

type family struct {
	table *nftables.Table
	v6    bool
}

func families() []family {
	return []family{
		{table: &nftables.Table{Name: TableName, Family: nftables.TableFamilyIPv4}},
		{table: &nftables.Table{Name: TableName, Family: nftables.TableFamilyIPv6}, v6: true},
	}
}

func chainOf(t *nftables.Table) *nftables.Chain {
	return &nftables.Chain{Name: ChainName, Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource}
}

// Sync implements Interface.
func (n *NFTables) Sync(masquerade []ipvs.VirtualServerKey, hairpin []proxier.Hairpin) (bool, error) {
	rules := DesiredRules(masquerade, hairpin)
	changed := false
	for _, f := range families() {
		want := Comments(rules, f.v6)
		have, exists, err := n.comments(f.table)
		if err != nil {
			return changed, err
		}
		// A family without rules needs no table; an existing table is kept (emptied) rather than
		// deleted, so a chain that flaps between empty and not costs no extra transaction.
		if slices.Equal(have, want) && (exists || len(want) == 0) {
			continue
		}
		n.conn.AddTable(f.table)
		ch := n.conn.AddChain(chainOf(f.table))
		n.conn.FlushChain(ch)
		for _, r := range rules {
			if r.Is6() == f.v6 {
				n.conn.AddRule(&nftables.Rule{Table: f.table, Chain: ch, Exprs: ruleExprs(r),
					UserData: userdata.AppendString(nil, userdata.TypeComment, r.Comment())})
			}
		}
		if err := n.conn.Flush(); err != nil {
			return changed, fmt.Errorf("writing nftables table %s %s: %w", familyName(f), TableName, err)
		}
		changed = true
	}
	return changed, nil
}

// comments reads back the comments of the rules in our chain; exists is false without the table.
func (n *NFTables) comments(t *nftables.Table) (out []string, exists bool, err error) {
	if _, err := n.conn.ListTableOfFamily(t.Name, t.Family); err != nil {
		if isNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("reading nftables table %s: %w", t.Name, err)
	}
	rules, err := n.conn.GetRules(t, chainOf(t))
	if err != nil {
		if isNotFound(err) {
			return nil, true, nil
		}
		return nil, true, fmt.Errorf("reading nftables chain %s: %w", ChainName, err)
	}
	for _, r := range rules {
		c, _ := userdata.GetString(r.UserData, userdata.TypeComment)
		out = append(out, c)
	}
	return out, true, nil
}

// Cleanup implements Interface.
func (n *NFTables) Cleanup() error {
	for _, f := range families() {
		if _, exists, err := n.comments(f.table); err != nil || !exists {
			if err != nil {
				return err
			}
			continue
		}
		n.conn.DelTable(f.table)
		if err := n.conn.Flush(); err != nil {
			return fmt.Errorf("deleting nftables table %s %s: %w", familyName(f), TableName, err)
		}
	}
	return nil
}

func familyName(f family) string {
	if f.v6 {
		return "ip6"
	}
	return "ip"
}

// ruleExprs encodes a Rule. Masquerade: `meta l4proto P ct original daddr A ct original proto-dst
// PORT masquerade`. Hairpin: `meta l4proto P ip saddr E ip daddr E th dport PORT masquerade`.
func ruleExprs(r Rule) []expr.Any {
	addr := r.Target.Addr().Unmap()
	port := binaryutil.BigEndian.PutUint16(r.Target.Port())
	ex := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(r.Protocol)}},
	}
	if r.Kind == KindMasquerade {
		ex = append(ex,
			&expr.Ct{Key: expr.CtKeyDST, Direction: 0, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr.AsSlice()},
			&expr.Ct{Key: expr.CtKeyPROTODST, Direction: 0, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: port},
		)
	} else {
		srcOff, dstOff, l := uint32(12), uint32(16), uint32(4) // IPv4 header
		if addr.Is6() {
			srcOff, dstOff, l = 8, 24, 16
		}
		ex = append(ex,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: srcOff, Len: l},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr.AsSlice()},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: dstOff, Len: l},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: addr.AsSlice()},
			// The destination port sits at offset 2 of TCP, UDP and SCTP headers alike.
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: port},
		)
	}
	return append(ex, &expr.Masq{})
}

// isNotFound reports the kernel's ENOENT for a missing table or chain.
func isNotFound(err error) bool { return errors.Is(err, unix.ENOENT) }
