package agent

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// removedSnapshot is baseSnapshot after web lost the endpoint 10.244.2.7 and the dns Service
// was deleted.
func removedSnapshot() Snapshot {
	snap := baseSnapshot()
	snap.Services = slices.DeleteFunc(snap.Services, func(s *corev1.Service) bool { return s.Name == "dns" })
	snap.Slices = slices.DeleteFunc(snap.Slices, func(s *discoveryv1.EndpointSlice) bool { return s.Name == "dns-1" })
	snap.Slices[0] = endpointSlice("web", "web-abc", []slicePort{{"http", corev1.ProtocolTCP, 8080}},
		ep{"10.244.1.5", "node-a", true}, ep{"10.244.3.9", "node-b", false})
	return snap
}

// drainingTable is removedSnapshot's kernel while 10.244.2.7 still has connections.
func drainingTable(active, inactive int) ipvs.Table {
	web := vs(ipvs.TCP, "10.96.0.10", 80)
	web.Persistent, web.Timeout = true, 10800
	draining := rs("10.244.2.7", 8080, 0)
	draining.ActiveConns, draining.InactiveConns = active, inactive
	return ipvs.Table{
		{VirtualServer: web, RealServers: []ipvs.RealServer{rs("10.244.1.5", 8080, 1), draining}},
		{VirtualServer: vs(ipvs.TCP, "10.96.0.30", 80), RealServers: []ipvs.RealServer{rs("10.244.2.8", 80, 1)}},
		{VirtualServer: vs(ipvs.TCP, "192.168.1.10", 30010), RealServers: []ipvs.RealServer{rs("10.244.2.8", 80, 1)}},
	}
}

// TestSyncGracefulTerminationSurvivesRestart: a removed TCP endpoint with open connections drains
// at weight 0; a restarted agent adopts the kernel without a write and keeps draining; the real
// server goes once its connections end. The removed Service's UDP real server is flushed from
// conntrack and its VIP leaves slicelb0.
func TestSyncGracefulTerminationSurvivesRestart(t *testing.T) {
	w := newWorld(t)
	w.sync(baseSnapshot(), t0)
	webKey := vsKey(ipvs.TCP, "10.96.0.10", 80)
	gone := netip.MustParseAddrPort("10.244.2.7:8080")
	if err := w.ipvs.SetConnections(webKey, gone, 2, 1); err != nil {
		t.Fatal(err)
	}

	t1 := t0.Add(time.Minute)
	res := w.sync(removedSnapshot(), t1)
	w.expectKernel(drainingTable(2, 1), "10.96.0.10", "10.96.0.30")
	// weight 0 + 2 virtual server deletes + 1 VIP removed + 1 conntrack flush + 1 nft (hairpin changed).
	want := Result{Writes: 6, VirtualServers: 3, RealServers: 4, Draining: 1, NextDrainDeadline: t1.Add(15 * time.Minute)}
	if res != want {
		t.Fatalf("removal sync %+v, want %+v", res, want)
	}
	wantFlush := []conntrack.Filter{{VirtualServer: vsKey(ipvs.UDP, "10.96.0.53", 53), RealServer: netip.MustParseAddrPort("10.244.1.9:53")}}
	if got := w.ct.Cleared(); !slices.Equal(got, wantFlush) {
		t.Fatalf("conntrack flushes %v, want %v", got, wantFlush)
	}

	// Restart: a new Syncer knows nothing; the kernel says weight 0 + undesired = draining.
	w.restart()
	t2 := t0.Add(2 * time.Minute)
	res = w.sync(removedSnapshot(), t2)
	want = Result{Writes: 0, VirtualServers: 3, RealServers: 4, Draining: 1, NextDrainDeadline: t2.Add(15 * time.Minute)}
	if res != want {
		t.Fatalf("sync after restart %+v, want %+v (adopt, no write)", res, want)
	}
	w.expectKernel(drainingTable(2, 1), "10.96.0.10", "10.96.0.30")

	// The connections end: the next sync deletes the real server.
	if err := w.ipvs.SetConnections(webKey, gone, 0, 0); err != nil {
		t.Fatal(err)
	}
	res = w.sync(removedSnapshot(), t2.Add(time.Minute))
	if res.Writes != 1 || res.Draining != 0 {
		t.Fatalf("drained sync %+v, want 1 write (the delete) and nothing draining", res)
	}
	final := drainingTable(0, 0)
	final[0].RealServers = final[0].RealServers[:1]
	w.expectKernel(final, "10.96.0.10", "10.96.0.30")
}

// TestSyncDrainTimeout: a draining real server whose connections never end is deleted at the
// drain deadline, not before.
func TestSyncDrainTimeout(t *testing.T) {
	w := newWorld(t)
	w.sync(baseSnapshot(), t0)
	webKey := vsKey(ipvs.TCP, "10.96.0.10", 80)
	if err := w.ipvs.SetConnections(webKey, netip.MustParseAddrPort("10.244.2.7:8080"), 1, 0); err != nil {
		t.Fatal(err)
	}
	w.sync(removedSnapshot(), t0)
	if res := w.sync(removedSnapshot(), t0.Add(15*time.Minute-time.Second)); res.Writes != 0 || res.Draining != 1 {
		t.Fatalf("before the deadline: %+v, want still draining, no write", res)
	}
	if res := w.sync(removedSnapshot(), t0.Add(15*time.Minute)); res.Writes != 1 || res.Draining != 0 {
		t.Fatalf("at the deadline: %+v, want the real server deleted", res)
	}
	final := drainingTable(0, 0)
	final[0].RealServers = final[0].RealServers[:1]
	w.expectKernel(final, "10.96.0.10", "10.96.0.30")
}
