package proxier

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// FuzzPlanSync starts from a kernel left by an earlier desired state, messes
// it up (foreign virtual servers, weights, connections, stray real servers,
// lost or stale drain state), then checks that one plan converges: foreign
// virtual servers untouched, every owned one exactly as desired apart from
// draining TCP real servers, nothing owned and undesired left, and a second
// plan empty.
func FuzzPlanSync(f *testing.F) {
	f.Add([]byte("seed: previous and next inputs plus a few mutations of the kernel 0123456789abcdef"), []byte("\x05\x01\x02\x03\x04\x05\x06\x07"))
	f.Add([]byte{1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, []byte{})
	f.Fuzz(func(t *testing.T, inputs, mutations []byte) {
		p := &picker{b: inputs}
		prev, next := p.input(), p.input()
		next.Node = prev.Node
		k := ipvs.NewFake()
		s := newSyncer(t, k)
		s.sync(prev, t0)
		// Ours, by the Ownership rule, for the next sync: a "foreign" virtual
		// server on a VIP we bind (a fuzzed cluster IP may equal it) is ours.
		own := ownedOracle(append(slices.Clone(s.bound), BuildDesired(next).BindAddresses...), next.Node.Addresses)
		m := &picker{b: mutations}
		foreign := slices.DeleteFunc(mutate(t, k, m), func(e ipvs.Entry) bool { return own(e.VirtualServer.Key()) })
		if m.n(2) == 0 {
			s.draining = nil // restart: drain state lost
		}
		now := t0.Add(time.Duration(m.n(40)) * time.Minute)

		s.sync(next, now)
		got := k.State()
		for _, e := range foreign {
			if g, ok := got.Get(e.VirtualServer.Key()); !ok || !tablesEqual(ipvs.Table{g}, ipvs.Table{e}) {
				t.Fatalf("foreign %s changed: %v", e.VirtualServer.Key(), g)
			}
		}
		checkConverged(t, got, BuildDesired(next), s.last, foreign, own)
		if w := s.sync(next, now); w != 0 {
			t.Fatalf("second plan wrote %d: %v", w, s.last.Ops)
		}
	})
}

// mutate changes the kernel the way time and other programs do and returns
// the foreign virtual servers it added.
func mutate(t *testing.T, k *ipvs.Fake, m *picker) ipvs.Table {
	t.Helper()
	foreign := ipvs.Table{
		{VirtualServer: ipvs.VirtualServer{Address: netip.MustParseAddr("10.0.0.99"), Protocol: ipvs.TCP, Port: 80, Scheduler: "wrr"},
			RealServers: []ipvs.RealServer{{Address: netip.MustParseAddr("10.2.0.1"), Port: 80, Weight: 0}}},
		{VirtualServer: ipvs.VirtualServer{Address: netip.MustParseAddr("192.168.0.10"), Protocol: ipvs.UDP, Port: 53, Scheduler: "rr"},
			RealServers: []ipvs.RealServer{}},
	}
	state := k.State()
	for i := range state {
		for j := range state[i].RealServers {
			rs := &state[i].RealServers[j]
			switch m.n(4) {
			case 1:
				rs.ActiveConns, rs.InactiveConns = m.n(3), m.n(2)
			case 2:
				rs.Weight = 0
				rs.ActiveConns = m.n(2)
			case 3:
				rs.Weight = 1 + m.n(3)
			}
		}
		if m.n(3) == 0 {
			a := netip.MustParseAddr("10.1.0.200")
			if state[i].VirtualServer.Address.Is6() {
				a = netip.MustParseAddr("fd00:1::200")
			}
			state[i].RealServers = append(state[i].RealServers, ipvs.RealServer{Address: a, Port: 9, Weight: m.n(2), ActiveConns: m.n(2)})
		}
		if m.n(4) == 0 {
			state[i].VirtualServer.Scheduler = "lc"
		}
	}
	for _, e := range foreign {
		if _, taken := state.Get(e.VirtualServer.Key()); !taken {
			state = append(state, e)
		}
	}
	state.Sort()
	k.Load(state)
	var kept ipvs.Table
	for _, e := range foreign {
		if g, _ := state.Get(e.VirtualServer.Key()); tablesEqual(ipvs.Table{g}, ipvs.Table{e}) {
			kept = append(kept, e)
		}
	}
	return kept
}

func checkConverged(t *testing.T, got ipvs.Table, ds *DesiredState, p Plan, foreign ipvs.Table, own func(ipvs.VirtualServerKey) bool) {
	t.Helper()
	conflict := map[ipvs.VirtualServerKey]bool{}
	for _, k := range p.Conflicts {
		conflict[k] = true
	}
	for k, d := range ds.VirtualServers {
		if conflict[k] {
			continue
		}
		e, ok := got.Get(k)
		if !ok || !e.VirtualServer.Equal(d.VirtualServer) {
			t.Fatalf("%s: kernel %v, want %v", k, e.VirtualServer, d.VirtualServer)
		}
		want := map[netip.AddrPort]bool{}
		for _, rs := range d.RealServers {
			want[rs.AddrPort()] = true
		}
		for _, rs := range e.RealServers {
			draining := p.Draining[DrainKey{VirtualServer: k, RealServer: rs.AddrPort()}]
			switch {
			case want[rs.AddrPort()]:
				if rs.Weight != 1 {
					t.Fatalf("%s %s: weight %d, want 1", k, rs.AddrPort(), rs.Weight)
				}
				delete(want, rs.AddrPort())
			case !draining.IsZero() && k.Protocol == ipvs.TCP && rs.Weight == 0 && rs.ActiveConns+rs.InactiveConns > 0:
			default:
				t.Fatalf("%s: stray real server %v (draining until %v)", k, rs, draining)
			}
		}
		if len(want) != 0 {
			t.Fatalf("%s: missing real servers %v", k, want)
		}
	}
	for _, e := range got {
		k := e.VirtualServer.Key()
		if _, isForeign := foreign.Get(k); !isForeign && ds.VirtualServers[k] == nil {
			// Only a virtual server we cannot own may stay: it was not ours to delete.
			if own(k) {
				t.Fatalf("owned undesired %s left behind", k)
			}
		}
	}
}

func tablesEqual(a, b ipvs.Table) bool { return a.String() == b.String() }

// ownedOracle is the ownership rule written independently of Ownership, so
// the fuzz target can catch Ownership itself being wrong.
func ownedOracle(vips, nodeAddrs []netip.Addr) func(ipvs.VirtualServerKey) bool {
	return func(k ipvs.VirtualServerKey) bool {
		return slices.Contains(vips, k.Address) ||
			slices.Contains(nodeAddrs, k.Address) && k.Port >= 30000 && k.Port <= 32767
	}
}
