package proxier

import (
	"slices"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// realServerDiff diffs the real servers of one owned, desired virtual server.
type realServerDiff struct {
	in      SyncInput
	plan    *Plan
	vs      *DesiredVirtualServer
	timeout time.Duration
	upserts []Op // adds and weight updates
	deletes []Op
}

// diff walks the desired and current real servers, both sorted by IP:port,
// in one merge pass (no maps: this runs for every virtual server on every
// sync). Desired ones are added or get their weight back first, so capacity
// arrives before anything starts draining.
func (r *realServerDiff) diff(current []ipvs.RealServer) {
	byAddrPort := func(a, b ipvs.RealServer) int { return a.AddrPort().Compare(b.AddrPort()) }
	if !slices.IsSortedFunc(current, byAddrPort) {
		current = slices.Clone(current)
		slices.SortFunc(current, byAddrPort)
	}
	want := r.vs.RealServers
	var removed []ipvs.RealServer
	i, j := 0, 0
	for i < len(want) || j < len(current) {
		c := 0
		switch {
		case i == len(want):
			c = 1
		case j == len(current):
			c = -1
		default:
			c = byAddrPort(want[i], current[j])
		}
		switch {
		case c < 0:
			r.upserts = append(r.upserts, r.op(OpAddRealServer, want[i]))
			i++
		case c > 0:
			removed = append(removed, current[j])
			j++
		default:
			if current[j].Weight != want[i].Weight {
				// Also the way back from draining: the endpoint is desired again.
				r.upserts = append(r.upserts, r.op(OpUpdateRealServer, want[i]))
			}
			i++
			j++
		}
	}
	for _, rs := range removed {
		r.remove(rs)
	}
}

// remove takes an undesired real server out.
//
// UDP and SCTP real servers are deleted at once (for UDP the caller flushes
// conntrack). A TCP real server is drained like kube-proxy's graceful
// termination: deleted at once when it has no connections; otherwise set to
// weight 0, so established connections continue while new ones go elsewhere,
// and deleted once its active+inactive connections reach 0 or its deadline
// (now + drain timeout) passes. The drain state is the kernel's: a weight-0
// real server that is not desired is draining even when the caller's
// Draining map does not know it (after a restart); its deadline then starts
// now. kube-proxy keeps this list only in memory and forgets it on restart.
func (r *realServerDiff) remove(rs ipvs.RealServer) {
	key := DrainKey{VirtualServer: r.vs.Key(), RealServer: rs.AddrPort()}
	if r.vs.Protocol != ipvs.TCP {
		r.deletes = append(r.deletes, r.op(OpDeleteRealServer, rs))
		if r.vs.Protocol == ipvs.UDP {
			r.plan.RemovedUDP = append(r.plan.RemovedUDP, UDPRemoval(key))
		}
		return
	}
	if rs.ActiveConns+rs.InactiveConns == 0 {
		r.deletes = append(r.deletes, r.op(OpDeleteRealServer, rs))
		return
	}
	if rs.Weight != 0 {
		r.upserts = append(r.upserts, r.op(OpUpdateRealServer, ipvs.RealServer{Address: rs.Address, Port: rs.Port, Weight: 0}))
		r.plan.Draining[key] = r.in.Now.Add(r.timeout)
		return
	}
	deadline, known := r.in.Draining[key]
	if !known {
		deadline = r.in.Now.Add(r.timeout)
	}
	if !r.in.Now.Before(deadline) {
		r.deletes = append(r.deletes, r.op(OpDeleteRealServer, rs))
		return
	}
	r.plan.Draining[key] = deadline
}

func (r *realServerDiff) op(kind OpKind, rs ipvs.RealServer) Op {
	return Op{Kind: kind, VirtualServer: r.vs.VirtualServer, RealServer: rs}
}
