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

// Sync implements Interface. Per family: nothing to do and no table → nothing written; a missing or
// foreign-looking layout → the table is rebuilt in one transaction; otherwise only the set elements
// that differ are added and deleted, in one transaction.
func (n *NFTables) Sync(masquerade []ipvs.VirtualServerKey, hairpin []proxier.Hairpin) (bool, error) {
	rules := DesiredRules(masquerade, hairpin)
	changed := false
	for _, f := range families() {
		want := elements(rules, f.v6)
		st, err := n.read(f)
		if err != nil {
			return changed, err
		}
		var wrote bool
		switch {
		case !st.exists && len(want[setMasquerade])+len(want[setHairpin]) == 0:
		case !st.exists || !st.layoutOK:
			wrote = n.rebuild(f, st.exists, want)
		default:
			wrote = n.patch(f, st.elements, want)
		}
		if !wrote {
			continue
		}
		if err := n.conn.Flush(); err != nil {
			return changed, fmt.Errorf("writing nftables table %s: %w", f, err)
		}
		changed = true
	}
	return changed, nil
}

// rebuild queues the whole table: replaced atomically when it exists.
func (n *NFTables) rebuild(f family, exists bool, want map[string]map[string][]byte) bool {
	if exists {
		n.conn.DelTable(f.table)
	}
	n.conn.AddTable(f.table)
	sets := map[string]*nftables.Set{}
	for _, s := range f.sets() {
		var elems []nftables.SetElement
		for _, k := range sortedKeys(want[s.Name]) {
			elems = append(elems, nftables.SetElement{Key: want[s.Name][k]})
		}
		// AddSet only queues (errors are for anonymous sets, which these are not); Flush reports.
		_ = n.conn.AddSet(s, elems)
		sets[s.Name] = s
	}
	chains := map[string]*nftables.Chain{}
	for _, c := range chainSpecs {
		chains[c.name] = n.conn.AddChain(c.chain(f.table))
	}
	for _, r := range ruleSpecs {
		n.conn.AddRule(&nftables.Rule{Table: f.table, Chain: chains[r.chain], Exprs: r.exprs(f, sets),
			UserData: userdata.AppendString(nil, userdata.TypeComment, r.comment)})
	}
	return true
}

// patch queues the element differences; false when there are none.
func (n *NFTables) patch(f family, have, want map[string]map[string][]byte) bool {
	wrote := false
	for _, s := range f.sets() {
		var add, del []nftables.SetElement
		for _, k := range sortedKeys(want[s.Name]) {
			if _, ok := have[s.Name][k]; !ok {
				add = append(add, nftables.SetElement{Key: want[s.Name][k]})
			}
		}
		for _, k := range sortedKeys(have[s.Name]) {
			if _, ok := want[s.Name][k]; !ok {
				del = append(del, nftables.SetElement{Key: have[s.Name][k]})
			}
		}
		if len(add) > 0 {
			_ = n.conn.SetAddElements(s, add)
			wrote = true
		}
		if len(del) > 0 {
			_ = n.conn.SetDeleteElements(s, del)
			wrote = true
		}
	}
	return wrote
}

type tableState struct {
	exists   bool
	layoutOK bool // chains, rules (by comment) and sets are ours, as this version writes them
	elements map[string]map[string][]byte
}

func (n *NFTables) read(f family) (tableState, error) {
	var st tableState
	if _, err := n.conn.ListTableOfFamily(f.table.Name, f.table.Family); err != nil {
		if isNotFound(err) {
			return st, nil
		}
		return st, fmt.Errorf("reading nftables table %s: %w", f, err)
	}
	st.exists = true
	have := map[string][]string{}
	for _, c := range chainSpecs {
		rules, err := n.conn.GetRules(f.table, c.chain(f.table))
		if err != nil {
			if isNotFound(err) {
				return st, nil
			}
			return st, fmt.Errorf("reading nftables chain %s in %s: %w", c.name, f, err)
		}
		for _, r := range rules {
			comment, _ := userdata.GetString(r.UserData, userdata.TypeComment)
			have[c.name] = append(have[c.name], comment)
		}
	}
	for _, c := range chainSpecs {
		var want []string
		for _, r := range ruleSpecs {
			if r.chain == c.name {
				want = append(want, r.comment)
			}
		}
		if !slices.Equal(have[c.name], want) {
			return st, nil
		}
	}
	st.elements = map[string]map[string][]byte{}
	for _, s := range f.sets() {
		got, err := n.conn.GetSetByName(f.table, s.Name)
		if err != nil {
			if isNotFound(err) {
				return st, nil
			}
			return st, fmt.Errorf("reading nftables set %s in %s: %w", s.Name, f, err)
		}
		elems, err := n.conn.GetSetElements(got)
		if err != nil {
			return st, fmt.Errorf("reading nftables set %s in %s: %w", s.Name, f, err)
		}
		st.elements[s.Name] = map[string][]byte{}
		for _, e := range elems {
			st.elements[s.Name][string(e.Key)] = e.Key
		}
	}
	st.layoutOK = true
	return st, nil
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

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// isNotFound reports the kernel's ENOENT for a missing table, chain or set.
func isNotFound(err error) bool { return errors.Is(err, unix.ENOENT) }
