package proxier

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// foreign are virtual servers someone else created: on a VIP that is not on
// slicelb0, and on a node address outside the NodePort range.
func foreign() []ipvs.Entry {
	return []ipvs.Entry{
		entry("TCP 10.0.0.99:80 wrr", "10.2.0.1:80 w=3 a=5"),
		entry("TCP 192.168.0.10:8443 rr persistent 60", "10.2.0.2:443"),
		entry("UDP [fd00:192::10]:53 rr", "[fd00:2::1]:53"),
	}
}

func TestForeignVirtualServersAreNeverTouched(t *testing.T) {
	k := ipvs.NewFake()
	// Ours from a previous run: a VIP still on slicelb0 whose Service is gone
	// (UDP, so its conntrack must be flushed), and a stale NodePort.
	stale := []ipvs.Entry{
		entry("UDP 10.96.0.50:53 rr", "10.1.0.9:53"),
		entry("TCP 192.168.0.10:30999 rr", "10.1.0.8:80"),
	}
	k.Load(table(append(foreign(), stale...)...))
	s := newSyncer(t, k)
	s.bound = addrs("10.96.0.50")
	in := webInput(tcp, ep("10.1.0.1", "node-b", ready))

	s.sync(in, t0)
	want := table(append(foreign(), entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080"))...)
	assertTable(t, k.State(), want)
	assertEqual(t, "ops", opStrings(s.last.Ops), []string{
		"AddVirtualServer TCP  10.96.0.10:80 rr",
		"AddRealServer TCP 10.96.0.10:80 -> 10.1.0.1:8080 weight 1",
		"DeleteVirtualServer UDP 10.96.0.50:53",
		"DeleteVirtualServer TCP 192.168.0.10:30999",
	})
	assertEqual(t, "removed UDP", s.last.RemovedUDP, []UDPRemoval{{VirtualServer: key("UDP 10.96.0.50:53"), RealServer: netip.MustParseAddrPort("10.1.0.9:53")}})

	// Restart (no drain state, slicelb0 as we left it) and a no-op resync: foreign still there, zero writes.
	s.draining = nil
	if w := s.sync(in, t0); w != 0 {
		t.Fatalf("resync after restart made %d writes: %v", w, s.last.Ops)
	}
	assertTable(t, k.State(), want)

	// --cleanup removes ours, nothing else.
	cur, err := ipvs.ReadTable(k, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := PlanCleanup(cur, NewOwnership(s.bound, theNode.Addresses, PortRange{}))
	for _, op := range p.Ops {
		if err := op.Apply(k); err != nil {
			t.Fatal(err)
		}
	}
	assertTable(t, k.State(), table(foreign()...))
	// Cleanup is idempotent.
	if p := PlanCleanup(k.State(), NewOwnership(s.bound, theNode.Addresses, PortRange{})); len(p.Ops) != 0 {
		t.Fatalf("second cleanup: %v", p.Ops)
	}
}

func TestPlanOrder(t *testing.T) {
	k := ipvs.NewFake()
	k.Load(table(
		entry("TCP 10.96.0.10:80 sh", "10.1.0.1:8080", "10.1.0.2:8080 a=1", "10.1.0.3:8080", "10.1.0.4:8080 w=0"),
		entry("TCP 10.96.0.11:80 rr"),
	))
	s := newSyncer(t, k)
	s.bound = addrs("10.96.0.10", "10.96.0.11")
	in := webInput(tcp, ep("10.1.0.1", "node-b", ready), ep("10.1.0.4", "node-b", ready), ep("10.1.0.5", "node-b", ready))
	in.Services = append(in.Services, service("new", []string{"10.96.0.12"}, []corev1.ServicePort{sport("http", tcp, 80, 0)}))
	s.sync(in, t0)
	assertEqual(t, "ops", opStrings(s.last.Ops), []string{
		"UpdateVirtualServer TCP  10.96.0.10:80 rr",
		"AddVirtualServer TCP  10.96.0.12:80 rr",
		// Within a virtual server, capacity first: restore and add, then start draining.
		"UpdateRealServer TCP 10.96.0.10:80 -> 10.1.0.4:8080 weight 1",
		"AddRealServer TCP 10.96.0.10:80 -> 10.1.0.5:8080 weight 1",
		"UpdateRealServer TCP 10.96.0.10:80 -> 10.1.0.2:8080 weight 0",
		"DeleteRealServer TCP 10.96.0.10:80 -> 10.1.0.3:8080",
		"DeleteVirtualServer TCP 10.96.0.11:80",
	})
	assertTable(t, k.State(), table(
		entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080", "10.1.0.2:8080 w=0 a=1", "10.1.0.4:8080", "10.1.0.5:8080"),
		entry("TCP 10.96.0.12:80 rr"),
	))
}

func TestOwnership(t *testing.T) {
	o := NewOwnership(addrs("10.96.0.1", "fd00:96::1"), theNode.Addresses, PortRange{Min: 30000, Max: 30010})
	for k, want := range map[string]bool{
		"TCP 10.96.0.1:80":          true,
		"UDP [fd00:96::1]:53":       true,
		"TCP 192.168.0.10:30000":    true,
		"SCTP [fd00:192::10]:30010": true,
		"TCP 192.168.0.10:30011":    false,
		"TCP 192.168.0.10:29999":    false,
		"TCP 10.96.0.2:80":          false,
		"TCP 192.168.0.11:30000":    false,
	} {
		if got := o.Owns(key(k)); got != want {
			t.Errorf("Owns(%s) = %v, want %v", k, got, want)
		}
	}
}

func opStrings(ops []Op) []string {
	out := []string{}
	for _, o := range ops {
		out = append(out, o.String())
	}
	return out
}
