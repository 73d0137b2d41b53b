package ipvs

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Entry is one virtual server with its real servers.
type Entry struct {
	VirtualServer VirtualServer
	// RealServers are sorted by AddrPort; nil when not read.
	RealServers []RealServer
}

// Table is a snapshot of IPVS: entries sorted by key. It is a plain value,
// so two tables compare with reflect.DeepEqual, and String prints it the way
// `ipvsadm -Ln` does.
type Table []Entry

// ReadTable lists the virtual servers of h and, for those include accepts
// (all when include is nil), their real servers. Entries include rejects are
// still returned, with nil RealServers, so callers see every virtual server.
func ReadTable(h Interface, include func(VirtualServerKey) bool) (Table, error) {
	vss, err := h.ListVirtualServers()
	if err != nil {
		return nil, fmt.Errorf("listing virtual servers: %w", err)
	}
	t := make(Table, 0, len(vss))
	for _, vs := range vss {
		e := Entry{VirtualServer: vs}
		if include == nil || include(vs.Key()) {
			rss, err := h.ListRealServers(vs.Key())
			if err != nil {
				return nil, fmt.Errorf("listing real servers of %s: %w", vs.Key(), err)
			}
			e.RealServers = rss
			SortRealServers(e.RealServers)
		}
		t = append(t, e)
	}
	t.Sort()
	return t, nil
}

// Sort orders the entries by key.
func (t Table) Sort() {
	slices.SortFunc(t, func(a, b Entry) int { return a.VirtualServer.Key().Compare(b.VirtualServer.Key()) })
}

// SortRealServers orders real servers by address, then port.
func SortRealServers(rss []RealServer) {
	slices.SortFunc(rss, func(a, b RealServer) int { return a.AddrPort().Compare(b.AddrPort()) })
}

// Get returns the entry for key; t must be sorted.
func (t Table) Get(key VirtualServerKey) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(t, key, func(e Entry, k VirtualServerKey) int {
		return e.VirtualServer.Key().Compare(k)
	})
	if !ok {
		return Entry{}, false
	}
	return t[i], true
}

// RealServerCount returns the number of real servers in the table.
func (t Table) RealServerCount() int {
	n := 0
	for _, e := range t {
		n += len(e.RealServers)
	}
	return n
}

// String renders the table in the `ipvsadm -Ln` layout.
func (t Table) String() string {
	var b strings.Builder
	b.WriteString("Prot LocalAddress:Port Scheduler Flags\n")
	b.WriteString("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	for _, e := range t {
		b.WriteString(e.VirtualServer.String())
		b.WriteByte('\n')
		for _, rs := range e.RealServers {
			b.WriteString(rs.String())
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// addrFamilyMatch reports whether a real server can serve a virtual server:
// NAT forwarding needs both in the same address family.
func addrFamilyMatch(a, b netip.Addr) bool { return a.Is4() == b.Is4() }
