package proxier

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

var webKey = key("TCP 10.96.0.10:80")

func webInput(proto corev1.Protocol, eps ...discoveryv1.Endpoint) Input {
	return Input{
		Services: []*corev1.Service{service("web", []string{"10.96.0.10"}, []corev1.ServicePort{sport("http", proto, 80, 0)})},
		Slices:   []*discoveryv1.EndpointSlice{slice("web", "web-1", v4, []discoveryv1.EndpointPort{eport("http", proto, 8080)}, eps...)},
		Node:     theNode,
	}
}

func setConns(t *testing.T, k *ipvs.Fake, vs ipvs.VirtualServerKey, rs string, active, inactive int) {
	t.Helper()
	if err := k.SetConnections(vs, netip.MustParseAddrPort(rs), active, inactive); err != nil {
		t.Fatal(err)
	}
}

func drainKey(vs ipvs.VirtualServerKey, rs string) DrainKey {
	return DrainKey{VirtualServer: vs, RealServer: netip.MustParseAddrPort(rs)}
}

func TestGracefulTerminationDrainsThenDeletesAtZeroConnections(t *testing.T) {
	k := ipvs.NewFake()
	s := newSyncer(t, k)
	both := webInput(tcp, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready))
	one := webInput(tcp, ep("10.1.0.1", "node-b", ready))
	s.sync(both, t0)
	setConns(t, k, webKey, "10.1.0.2:8080", 2, 1)

	// Removed with open connections: weight 0, one write, deadline now + 15m.
	now := t0.Add(time.Minute)
	if w := s.sync(one, now); w != 1 {
		t.Fatalf("writes = %d, want 1 (weight 0)", w)
	}
	assertTable(t, k.State(), table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080", "10.1.0.2:8080 w=0 a=2 i=1")))
	want := map[DrainKey]time.Time{drainKey(webKey, "10.1.0.2:8080"): now.Add(DefaultDrainTimeout)}
	assertEqual(t, "draining", s.draining, want)

	// Still connected: nothing to do, the deadline is not pushed back.
	if w := s.sync(one, now.Add(5*time.Minute)); w != 0 {
		t.Fatalf("writes while draining = %d, want 0", w)
	}
	assertEqual(t, "draining", s.draining, want)
	if d, ok := s.last.NextDeadline(); !ok || !d.Equal(now.Add(DefaultDrainTimeout)) {
		t.Fatalf("NextDeadline = %v %v", d, ok)
	}

	// Connections gone: deleted.
	setConns(t, k, webKey, "10.1.0.2:8080", 0, 0)
	if w := s.sync(one, now.Add(6*time.Minute)); w != 1 {
		t.Fatalf("writes = %d, want 1 (delete)", w)
	}
	assertTable(t, k.State(), table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080")))
	assertEqual(t, "draining", s.draining, map[DrainKey]time.Time{})
}

func TestGracefulTerminationDeletesAtTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flag    time.Duration
		policy  time.Duration
		timeout time.Duration
	}{
		{name: "--drain-timeout", flag: 5 * time.Minute, timeout: 5 * time.Minute},
		{name: "per-Service policy wins", flag: 5 * time.Minute, policy: 30 * time.Second, timeout: 30 * time.Second},
		{name: "default", timeout: DefaultDrainTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := ipvs.NewFake()
			s := newSyncer(t, k)
			s.timeout = tc.flag
			both := webInput(tcp, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready))
			one := webInput(tcp, ep("10.1.0.1", "node-b", ready))
			if tc.policy > 0 {
				pol := map[types.NamespacedName]Policy{{Namespace: ns, Name: "web"}: {DrainTimeout: tc.policy}}
				both.Options.Policies, one.Options.Policies = pol, pol
			}
			s.sync(both, t0)
			setConns(t, k, webKey, "10.1.0.2:8080", 1, 0)
			s.sync(one, t0)
			if w := s.sync(one, t0.Add(tc.timeout-time.Second)); w != 0 {
				t.Fatalf("deleted %d before the deadline", w)
			}
			if w := s.sync(one, t0.Add(tc.timeout)); w != 1 {
				t.Fatalf("writes at the deadline = %d, want 1", w)
			}
			assertTable(t, k.State(), table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080")))
		})
	}
}

func TestRemovedWithoutConnectionsIsDeletedAtOnce(t *testing.T) {
	k := ipvs.NewFake()
	s := newSyncer(t, k)
	s.sync(webInput(tcp, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready)), t0)
	// Endpoint becomes not ready: it leaves the desired set.
	if w := s.sync(webInput(tcp, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", notReady)), t0); w != 1 {
		t.Fatalf("writes = %d, want 1", w)
	}
	assertTable(t, k.State(), table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080")))
	assertEqual(t, "draining", s.draining, map[DrainKey]time.Time{})
}

func TestDrainingRealServerDesiredAgainGetsItsWeightBack(t *testing.T) {
	k := ipvs.NewFake()
	s := newSyncer(t, k)
	both := webInput(tcp, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready))
	s.sync(both, t0)
	setConns(t, k, webKey, "10.1.0.2:8080", 4, 0)
	s.sync(webInput(tcp, ep("10.1.0.1", "node-b", ready)), t0)
	if w := s.sync(both, t0.Add(time.Minute)); w != 1 {
		t.Fatalf("writes = %d, want 1 (weight back to 1)", w)
	}
	assertTable(t, k.State(), table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080", "10.1.0.2:8080 a=4")))
	assertEqual(t, "draining", s.draining, map[DrainKey]time.Time{})
}

func TestAdoptionAfterRestartRebuildsDrainStateFromKernel(t *testing.T) {
	// The kernel as a previous agent left it: .2 was draining with a live connection.
	k := ipvs.NewFake()
	left := table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080", "10.1.0.2:8080 w=0 a=1"))
	k.Load(left)
	s := newSyncer(t, k)
	s.bound = addrs("10.96.0.10") // still on slicelb0
	s.timeout = 10 * time.Minute
	in := webInput(tcp, ep("10.1.0.1", "node-b", ready))

	restart := t0.Add(time.Hour)
	if w := s.sync(in, restart); w != 0 {
		t.Fatalf("adoption made %d writes: %v", w, s.last.Ops)
	}
	assertTable(t, k.State(), left)
	assertEqual(t, "draining", s.draining, map[DrainKey]time.Time{drainKey(webKey, "10.1.0.2:8080"): restart.Add(10 * time.Minute)})

	// A second restart (drain map lost again) does not delete early either.
	s.draining = nil
	if w := s.sync(in, restart.Add(9*time.Minute)); w != 0 {
		t.Fatalf("writes = %d, want 0", w)
	}
	s.draining = map[DrainKey]time.Time{drainKey(webKey, "10.1.0.2:8080"): restart.Add(10 * time.Minute)}
	if w := s.sync(in, restart.Add(10*time.Minute)); w != 1 {
		t.Fatalf("writes at the deadline = %d, want 1", w)
	}
	assertTable(t, k.State(), table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080")))
}

func TestUDPAndSCTPRealServersAreRemovedAtOnce(t *testing.T) {
	for _, tc := range []struct {
		proto   corev1.Protocol
		spec    string
		removed []UDPRemoval
	}{
		{proto: udp, spec: "UDP 10.96.0.10:80 rr", removed: []UDPRemoval{{
			VirtualServer: key("UDP 10.96.0.10:80"), RealServer: netip.MustParseAddrPort("10.1.0.2:8080")}}},
		{proto: sctp, spec: "SCTP 10.96.0.10:80 rr"},
	} {
		t.Run(string(tc.proto), func(t *testing.T) {
			k := ipvs.NewFake()
			s := newSyncer(t, k)
			s.sync(webInput(tc.proto, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready)), t0)
			setConns(t, k, key(tc.spec[:len(tc.spec)-3]), "10.1.0.2:8080", 0, 7)
			if w := s.sync(webInput(tc.proto, ep("10.1.0.1", "node-b", ready)), t0); w != 1 {
				t.Fatalf("writes = %d, want 1", w)
			}
			assertTable(t, k.State(), table(entry(tc.spec, "10.1.0.1:8080")))
			assertEqual(t, "removed UDP", s.last.RemovedUDP, tc.removed)
			assertEqual(t, "draining", s.draining, map[DrainKey]time.Time{})
		})
	}
}

func TestVirtualServerChangesAreInPlace(t *testing.T) {
	k := ipvs.NewFake()
	s := newSyncer(t, k)
	in := webInput(tcp, ep("10.1.0.1", "node-b", ready))
	s.sync(in, t0)
	setConns(t, k, webKey, "10.1.0.1:8080", 3, 0)
	in.Services[0].Spec.SessionAffinity = corev1.ServiceAffinityClientIP
	in.Options.Scheduler = "wlc"
	if w := s.sync(in, t0); w != 1 || k.Calls(ipvs.MethodUpdateVirtualServer) != 1 {
		t.Fatalf("writes = %d, want exactly one UpdateVirtualServer: %v", w, s.last.Ops)
	}
	assertTable(t, k.State(), table(entry("TCP 10.96.0.10:80 wlc persistent 10800", "10.1.0.1:8080 a=3")))
}

func TestApplyOpsCarriesOnAfterAFailure(t *testing.T) {
	k := ipvs.NewFake()
	p := PlanSync(SyncInput{Desired: BuildDesired(webInput(tcp, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready))), Now: t0})
	k.FailNext(ipvs.MethodAddRealServer, errors.New("ENOMEM"), 1)
	errs := ApplyOps(k, p.Ops)
	if len(errs) != 3 || errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("errs = %v for ops %v", errs, p.Ops)
	}
	assertTable(t, k.State(), table(entry("TCP 10.96.0.10:80 rr", "10.1.0.2:8080")))
	// The next sync repairs what failed, and only that.
	cur, _ := ipvs.ReadTable(k, nil)
	p = PlanSync(SyncInput{Desired: BuildDesired(webInput(tcp, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready))), Current: cur, Now: t0})
	assertEqual(t, "repair", opStrings(p.Ops), []string{"AddRealServer TCP 10.96.0.10:80 -> 10.1.0.1:8080 weight 1"})
}
