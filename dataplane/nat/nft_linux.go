package nat

import (
	"errors"
	"fmt"
	"slices"

	"github.com/google/nftables"
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

// Sync implements Interface.
func (n *NFTables) Sync(masquerade []ipvs.VirtualServerKey, hairpin []proxier.Hairpin) (bool, error) {
	rules := DesiredRules(masquerade, hairpin)
	changed := false
	for _, f := range families() {
		want := layout(rules, f.v6)
		have, exists, err := n.read(f.table)
		if err != nil {
			return changed, err
		}
		// A family without rules needs no table; an existing table is kept (emptied) rather than
		// deleted, so rules that come and go cost one transaction each time, not two.
		if sameComments(have, want) && (exists || want.empty()) {
			continue
		}
		n.conn.AddTable(f.table)
		for _, spec := range chainSpecs {
			ch := n.conn.AddChain(spec.chain(f.table))
			n.conn.FlushChain(ch)
			for _, r := range want[spec.name] {
				n.conn.AddRule(&nftables.Rule{Table: f.table, Chain: ch, Exprs: r.exprs,
					UserData: userdata.AppendString(nil, userdata.TypeComment, r.comment)})
			}
		}
		if err := n.conn.Flush(); err != nil {
			return changed, fmt.Errorf("writing nftables table %s: %w", f, err)
		}
		changed = true
	}
	return changed, nil
}

// read returns the comments of the rules in each of our chains; exists is false without the table.
func (n *NFTables) read(t *nftables.Table) (map[string][]string, bool, error) {
	if _, err := n.conn.ListTableOfFamily(t.Name, t.Family); err != nil {
		if isNotFound(err) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("reading nftables table %s: %w", t.Name, err)
	}
	out := map[string][]string{}
	for _, spec := range chainSpecs {
		rules, err := n.conn.GetRules(t, spec.chain(t))
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, true, fmt.Errorf("reading nftables chain %s: %w", spec.name, err)
		}
		for _, r := range rules {
			c, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			out[spec.name] = append(out[spec.name], c)
		}
	}
	return out, true, nil
}

func sameComments(have map[string][]string, want chainRules) bool {
	for _, spec := range chainSpecs {
		w := make([]string, 0, len(want[spec.name]))
		for _, r := range want[spec.name] {
			w = append(w, r.comment)
		}
		if !slices.Equal(have[spec.name], w) && (len(have[spec.name]) > 0 || len(w) > 0) {
			return false
		}
	}
	return true
}

// Cleanup implements Interface.
func (n *NFTables) Cleanup() error {
	for _, f := range families() {
		if _, err := n.conn.ListTableOfFamily(f.table.Name, f.table.Family); err != nil {
			if isNotFound(err) {
				continue
			}
			return fmt.Errorf("reading nftables table %s: %w", f, err)
		}
		n.conn.DelTable(f.table)
		if err := n.conn.Flush(); err != nil {
			return fmt.Errorf("deleting nftables table %s: %w", f, err)
		}
	}
	return nil
}

// isNotFound reports the kernel's ENOENT for a missing table or chain.
func isNotFound(err error) bool { return errors.Is(err, unix.ENOENT) }
