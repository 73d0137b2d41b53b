package agent

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

func newCachedWorld(t *testing.T) *world {
	w := newWorld(t)
	w.fullResync = time.Minute
	w.restart()
	return w
}

// expectCacheMatchesKernel: the cache must equal what a full read would return.
func (w *world) expectCacheMatchesKernel() {
	w.t.Helper()
	if w.syncer.cache == nil {
		w.t.Fatal("no cache")
	}
	if got, want := w.syncer.cache.table(), w.ipvs.State(); !reflect.DeepEqual(got, want) {
		w.t.Fatalf("cache:\n%s\nkernel:\n%s", got, want)
	}
}

// TestCachedSyncsReadNothingBetweenFullResyncs: with a full resync period, a no-op sync makes no
// kernel read and a one-endpoint removal reads only its virtual server's real servers; the cache tracks the kernel exactly; the full resync
// reads again and repairs drift the cache could not see.
func TestCachedSyncsReadNothingBetweenFullResyncs(t *testing.T) {
	w := newCachedWorld(t)
	w.sync(baseSnapshot(), t0)
	w.expectCacheMatchesKernel()

	w.ipvs.ResetCounters()
	if res := w.sync(baseSnapshot(), t0.Add(time.Second)); res.Writes != 0 || w.ipvs.Reads() != 0 {
		t.Fatalf("cached no-op sync: %d writes, %d IPVS reads; want 0 and 0", res.Writes, w.ipvs.Reads())
	}

	// web loses 10.244.2.7 (node-b, no connections): one delete, and one read — the real servers
	// of web alone, whose connection counters decide between delete and drain.
	changed := baseSnapshot()
	changed.Slices[0] = removedSnapshot().Slices[0]
	w.ipvs.ResetCounters()
	if res := w.sync(changed, t0.Add(2*time.Second)); res.Writes != 1 || w.ipvs.Writes() != 1 ||
		w.ipvs.Reads() != 1 || w.ipvs.Calls(ipvs.MethodListRealServers) != 1 {
		t.Fatalf("cached change: result %d writes, IPVS %d writes %d reads; want 1, 1, 1 (web's real servers)",
			res.Writes, w.ipvs.Writes(), w.ipvs.Reads())
	}
	w.expectCacheMatchesKernel()

	// Drift behind the agent's back is invisible to the cache until the full resync.
	if err := w.ipvs.DeleteVirtualServer(vsKey(ipvs.TCP, "10.96.0.30", 80)); err != nil {
		t.Fatal(err)
	}
	w.ipvs.ResetCounters()
	if res := w.sync(changed, t0.Add(30*time.Second)); res.Writes != 0 {
		t.Fatalf("cached sync saw drift it cannot see: %d writes", res.Writes)
	}
	res := w.sync(changed, t0.Add(time.Minute))
	if w.ipvs.Reads() == 0 || res.Writes != 2 { // the virtual server and its real server
		t.Fatalf("full resync: %d reads, %d writes; want a read and 2 writes", w.ipvs.Reads(), res.Writes)
	}
	w.expectCacheMatchesKernel()
}

// TestCachedDrainRereadsOnlyDrainingVirtualServers: while a real server drains, each cached sync
// re-reads the real servers of its virtual server only, so the drain ends when the connections do.
func TestCachedDrainRereadsOnlyDrainingVirtualServers(t *testing.T) {
	w := newCachedWorld(t)
	w.sync(baseSnapshot(), t0)
	webKey := vsKey(ipvs.TCP, "10.96.0.10", 80)
	gone := netip.MustParseAddrPort("10.244.2.7:8080")
	if err := w.ipvs.SetConnections(webKey, gone, 2, 1); err != nil {
		t.Fatal(err)
	}
	// The cache does not know the counters yet; a full read does: start the drain from one.
	w.sync(removedSnapshot(), t0.Add(time.Minute))
	w.expectKernel(drainingTable(2, 1), "10.96.0.10", "10.96.0.30")
	w.expectCacheMatchesKernel()

	w.ipvs.ResetCounters()
	if res := w.sync(removedSnapshot(), t0.Add(61*time.Second)); res.Writes != 0 || res.Draining != 1 {
		t.Fatalf("cached sync while draining: %+v", res)
	}
	if w.ipvs.Calls(ipvs.MethodListVirtualServers) != 0 || w.ipvs.Calls(ipvs.MethodListRealServers) != 1 {
		t.Fatalf("reads: %d VS dumps, %d RS dumps; want 0 and 1 (the draining VS)",
			w.ipvs.Calls(ipvs.MethodListVirtualServers), w.ipvs.Calls(ipvs.MethodListRealServers))
	}
	if err := w.ipvs.SetConnections(webKey, gone, 0, 0); err != nil {
		t.Fatal(err)
	}
	if res := w.sync(removedSnapshot(), t0.Add(62*time.Second)); res.Writes != 1 || res.Draining != 0 {
		t.Fatalf("drain end on a cached sync: %+v, want the real server deleted", res)
	}
	w.expectKernel(drainingAfterRemoval(), "10.96.0.10", "10.96.0.30")
	w.expectCacheMatchesKernel()
}

// TestCachedSyncFailedWriteDropsCache: after a failed write the next sync reads the kernel.
func TestCachedSyncFailedWriteDropsCache(t *testing.T) {
	w := newCachedWorld(t)
	w.ipvs.FailNext(ipvs.MethodAddRealServer, errInjected, 1)
	if _, err := w.syncer.Sync(t.Context(), baseSnapshot(), t0); err == nil {
		t.Fatal("want the injected failure")
	}
	if w.syncer.cache != nil {
		t.Fatal("cache kept after a failed write")
	}
	w.ipvs.ResetCounters()
	if res := w.sync(baseSnapshot(), t0.Add(time.Second)); res.Writes != 1 || w.ipvs.Reads() == 0 {
		t.Fatalf("sync after a failure: %d writes, %d reads; want the full read and the one missing write", res.Writes, w.ipvs.Reads())
	}
	w.expectKernel(baseTable(), baseVIPs...)
	w.expectCacheMatchesKernel()
}

// TestCachedRemovalRereadsCounters: a TCP endpoint removed on a cached sync whose connections
// opened after the last full read still drains (the cache alone would say 0 connections and
// delete it); only its virtual server is re-read.
func TestCachedRemovalRereadsCounters(t *testing.T) {
	w := newCachedWorld(t)
	w.sync(baseSnapshot(), t0)
	if err := w.ipvs.SetConnections(vsKey(ipvs.TCP, "10.96.0.10", 80), netip.MustParseAddrPort("10.244.2.7:8080"), 2, 1); err != nil {
		t.Fatal(err)
	}
	changed := baseSnapshot()
	changed.Slices[0] = removedSnapshot().Slices[0]
	w.ipvs.ResetCounters()
	res := w.sync(changed, t0.Add(time.Second))
	if res.Draining != 1 || w.ipvs.Writes() != 1 || w.ipvs.Calls(ipvs.MethodListRealServers) != 1 || w.ipvs.Calls(ipvs.MethodListVirtualServers) != 0 {
		t.Fatalf("cached removal: %+v, IPVS writes %d, RS dumps %d, VS dumps %d; want draining 1, 1 write (weight 0), 1 RS dump, 0 VS dumps",
			res, w.ipvs.Writes(), w.ipvs.Calls(ipvs.MethodListRealServers), w.ipvs.Calls(ipvs.MethodListVirtualServers))
	}
	want := baseTable()
	want[0].RealServers[1].Weight, want[0].RealServers[1].ActiveConns, want[0].RealServers[1].InactiveConns = 0, 2, 1
	w.expectKernel(want, baseVIPs...)
	w.expectCacheMatchesKernel()
}
