package proxier

import (
	"net/netip"
	"slices"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// DrainKey names a real server of a virtual server.
type DrainKey struct {
	VirtualServer ipvs.VirtualServerKey
	RealServer    netip.AddrPort
}

// SyncInput is everything PlanSync reads.
type SyncInput struct {
	Desired *DesiredState
	// Current is the kernel's table with the real servers of at least every
	// owned virtual server (ipvs.ReadTable(h, nil) does).
	Current ipvs.Table
	// BoundAddresses are the addresses on slicelb0 before stale ones are
	// removed: a virtual server on a VIP that is going away is still ours to
	// delete. Desired.BindAddresses count as bound too.
	BoundAddresses []netip.Addr
	NodeAddresses  []netip.Addr
	// NodePortRange is the API server's --service-node-port-range; zero means
	// DefaultNodePortRange.
	NodePortRange PortRange
	// Draining are the drain deadlines of the previous Plan; nil after a
	// restart, when they are rebuilt from the kernel.
	Draining map[DrainKey]time.Time
	Now      time.Time
	// DrainTimeout is --drain-timeout; zero means DefaultDrainTimeout.
	DrainTimeout time.Duration
}

// UDPRemoval is a UDP real server that the plan removes: its conntrack
// entries must be deleted after the plan is applied, or the kernel keeps
// sending the flow's packets to the dead endpoint (UDP has no close).
type UDPRemoval struct {
	VirtualServer ipvs.VirtualServerKey
	RealServer    netip.AddrPort
}

// Plan is the ordered list of IPVS writes that makes the kernel match the
// desired state, and what the caller needs after applying it.
type Plan struct {
	// Ops in this order: virtual servers added/updated, real servers
	// added/updated (including weight 0 to start draining), real servers
	// deleted, virtual servers deleted.
	Ops []Op
	// Draining are the real servers at weight 0 still waiting for their
	// connections to end, with their deadline; pass it to the next SyncInput.
	Draining map[DrainKey]time.Time
	// RemovedUDP lists the UDP real servers Ops delete (directly or with their
	// virtual server), for conntrack cleanup.
	RemovedUDP []UDPRemoval
	// Conflicts are desired virtual servers that are not ours by the
	// Ownership rule (a node address with a port outside the NodePort range):
	// they are left untouched.
	Conflicts []ipvs.VirtualServerKey
}

// NextDeadline returns the earliest drain deadline, when something drains:
// the agent should sync again by then.
func (p Plan) NextDeadline() (time.Time, bool) {
	var next time.Time
	for _, d := range p.Draining {
		if next.IsZero() || d.Before(next) {
			next = d
		}
	}
	return next, !next.IsZero()
}

// PlanSync diffs in.Desired against in.Current.
//
// Only owned virtual servers (see Ownership) are created, updated or
// deleted. Within an owned virtual server, real servers that are not desired
// are removed gracefully when they are TCP (see drainRealServer); UDP and
// SCTP ones are removed at once. A real server that is desired again while
// draining gets its weight back. An owned virtual server that is no longer
// desired (its Service or VIP is gone) is deleted at once, with its real
// servers, as kube-proxy does. When nothing differs the plan has no ops.
func PlanSync(in SyncInput) Plan {
	desired := in.Desired
	if desired == nil {
		desired = &DesiredState{}
	}
	own := NewOwnership(append(slices.Clone(in.BoundAddresses), desired.BindAddresses...), in.NodeAddresses, in.NodePortRange)
	current := make(map[ipvs.VirtualServerKey]*ipvs.Entry, len(in.Current))
	for i := range in.Current {
		current[in.Current[i].VirtualServer.Key()] = &in.Current[i]
	}
	p := Plan{Draining: map[DrainKey]time.Time{}}
	var vsOps, rsOps, rsDels, vsDels []Op

	keys := make([]ipvs.VirtualServerKey, 0, len(desired.VirtualServers))
	for k := range desired.VirtualServers {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, ipvs.VirtualServerKey.Compare)
	for _, k := range keys {
		d := desired.VirtualServers[k]
		if !own.Owns(k) {
			p.Conflicts = append(p.Conflicts, k)
			continue
		}
		e, exists := current[k]
		if !exists {
			vsOps = append(vsOps, Op{Kind: OpAddVirtualServer, VirtualServer: d.VirtualServer})
			for _, rs := range d.RealServers {
				rsOps = append(rsOps, Op{Kind: OpAddRealServer, VirtualServer: d.VirtualServer, RealServer: rs})
			}
			continue
		}
		if !e.VirtualServer.Equal(d.VirtualServer) {
			vsOps = append(vsOps, Op{Kind: OpUpdateVirtualServer, VirtualServer: d.VirtualServer})
		}
		rd := realServerDiff{in: in, plan: &p, vs: d, timeout: drainTimeout(d.DrainTimeout, in.DrainTimeout)}
		rd.diff(e.RealServers)
		rsOps = append(rsOps, rd.upserts...)
		rsDels = append(rsDels, rd.deletes...)
	}

	for _, e := range in.Current { // sorted by key
		k := e.VirtualServer.Key()
		if _, ok := desired.VirtualServers[k]; ok || !own.Owns(k) {
			continue
		}
		vsDels = append(vsDels, Op{Kind: OpDeleteVirtualServer, VirtualServer: e.VirtualServer})
		p.noteUDP(k, e.RealServers)
	}
	p.Ops = slices.Concat(vsOps, rsOps, rsDels, vsDels)
	return p
}

// PlanCleanup deletes every virtual server own accepts (with their real
// servers) and nothing else: `slicelb-node --cleanup`.
func PlanCleanup(current ipvs.Table, own Ownership) Plan {
	p := Plan{Draining: map[DrainKey]time.Time{}}
	for _, e := range current {
		if !own.Owns(e.VirtualServer.Key()) {
			continue
		}
		p.Ops = append(p.Ops, Op{Kind: OpDeleteVirtualServer, VirtualServer: e.VirtualServer})
		p.noteUDP(e.VirtualServer.Key(), e.RealServers)
	}
	return p
}

// noteUDP records the real servers of a deleted UDP virtual server.
func (p *Plan) noteUDP(k ipvs.VirtualServerKey, rss []ipvs.RealServer) {
	if k.Protocol != ipvs.UDP {
		return
	}
	for _, rs := range rss {
		p.RemovedUDP = append(p.RemovedUDP, UDPRemoval{VirtualServer: k, RealServer: rs.AddrPort()})
	}
}

func drainTimeout(perService, global time.Duration) time.Duration {
	switch {
	case perService > 0:
		return perService
	case global > 0:
		return global
	default:
		return DefaultDrainTimeout
	}
}
