package agent

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// TestSyncWriteFailureIsCountedAndRetried: one failing netlink write does not stop the rest of the
// sync; it is returned, counted in netlink_errors_total, and the next sync repairs exactly it.
func TestSyncWriteFailureIsCountedAndRetried(t *testing.T) {
	w := newWorld(t)
	w.ipvs.FailNext(ipvs.MethodAddRealServer, errInjected, 1)

	res, err := w.syncer.Sync(context.Background(), baseSnapshot(), t0)
	if !errors.Is(err, errInjected) {
		t.Fatalf("Sync error = %v, want the injected one", err)
	}
	if res.Errors != 1 || res.Writes != 15 {
		t.Fatalf("failed sync %+v, want 15 writes attempted, 1 failed", res)
	}
	// Everything but the first real server of the first virtual server is programmed.
	partial := baseTable()
	partial[0].RealServers = partial[0].RealServers[1:]
	w.expectKernel(partial, baseVIPs...)
	if got := counterByLabel(t, w.reg, metricNetlinkErrors); !maps.Equal(got, map[string]float64{"add_real_server": 1}) {
		t.Fatalf("%s = %v, want add_real_server=1", metricNetlinkErrors, got)
	}
	if got := counterByLabel(t, w.reg, metricSyncs); !maps.Equal(got, map[string]float64{"error": 1}) {
		t.Fatalf("%s = %v", metricSyncs, got)
	}

	res = w.sync(baseSnapshot(), t0.Add(time.Second))
	if res.Writes != 1 || res.Errors != 0 {
		t.Fatalf("retry %+v, want exactly the failed write redone", res)
	}
	w.expectKernel(baseTable(), baseVIPs...)
}

// TestSyncFailedVirtualServerSkipsItsRealServers: when a virtual server cannot be created, its
// real servers are not attempted (they would fail too) and the other Services are programmed.
func TestSyncFailedVirtualServerSkipsItsRealServers(t *testing.T) {
	w := newWorld(t)
	w.ipvs.FailNext(ipvs.MethodAddVirtualServer, errInjected, 1)
	res, err := w.syncer.Sync(context.Background(), baseSnapshot(), t0)
	if err == nil || res.Errors != 1 || res.Writes != 13 { // 15 minus the 2 skipped real servers
		t.Fatalf("sync %+v, %v: want 1 error and 13 writes", res, err)
	}
	partial := baseTable()[1:]
	w.expectKernel(partial, baseVIPs...)
	w.sync(baseSnapshot(), t0.Add(time.Second))
	w.expectKernel(baseTable(), baseVIPs...)
}

// TestSyncReadFailureAborts: without the kernel's table nothing can be planned, so nothing is
// written.
func TestSyncReadFailureAborts(t *testing.T) {
	w := newWorld(t)
	w.sync(baseSnapshot(), t0)
	w.ipvs.ResetCounters()
	w.ipvs.FailNext(ipvs.MethodListVirtualServers, errInjected, 1)
	if _, err := w.syncer.Sync(context.Background(), removedSnapshot(), t0.Add(time.Second)); !errors.Is(err, errInjected) {
		t.Fatalf("Sync error = %v, want the injected read error", err)
	}
	if w.ipvs.Writes() != 0 {
		t.Fatalf("wrote %d times without a kernel read", w.ipvs.Writes())
	}
	w.expectKernel(baseTable(), baseVIPs...)
}

// TestSyncNATFailureDoesNotBlockIPVS: a failed nftables transaction is counted and retried; IPVS is
// programmed regardless.
func TestSyncNATFailureDoesNotBlockIPVS(t *testing.T) {
	w := newWorld(t)
	w.natPort = &failingNAT{NAT: w.nat, err: errInjected}
	w.restart()
	if _, err := w.syncer.Sync(context.Background(), baseSnapshot(), t0); !errors.Is(err, errInjected) {
		t.Fatalf("Sync error = %v, want the NAT failure", err)
	}
	w.expectKernel(baseTable(), baseVIPs...)
	if got := counterByLabel(t, w.reg, metricNetlinkErrors); !maps.Equal(got, map[string]float64{"sync_nat": 1}) {
		t.Fatalf("%s = %v, want sync_nat=1", metricNetlinkErrors, got)
	}
	if res := w.sync(baseSnapshot(), t0.Add(time.Second)); res.Writes != 1 || len(w.nat.Rules()) != 4 {
		t.Fatalf("retry %+v: want the nft table written once", res)
	}
}

// TestSyncCompleted: write failures leave the sync completed (health stays green while the
// runner retries); a failed kernel read does not.
func TestSyncCompleted(t *testing.T) {
	w := newWorld(t)
	w.ipvs.FailNext(ipvs.MethodAddRealServer, errInjected, 1)
	_, err := w.syncer.Sync(context.Background(), baseSnapshot(), t0)
	var partial *PartialSyncError
	if !errors.As(err, &partial) || partial.Failed != 1 || !SyncCompleted(err) {
		t.Fatalf("write failure: %v, want a completed PartialSyncError with 1 failure", err)
	}
	w.ipvs.FailNext(ipvs.MethodListVirtualServers, errInjected, 1)
	_, err = w.syncer.Sync(context.Background(), baseSnapshot(), t0)
	if err == nil || SyncCompleted(err) {
		t.Fatalf("read failure: %v, want an incomplete sync", err)
	}
	if !SyncCompleted(nil) {
		t.Fatal("a clean sync is completed")
	}
}
