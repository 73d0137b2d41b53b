package agent

import (
	"context"
	"slices"
	"testing"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// TestMetricNames pins the exported series (dashboards and the README depend on them).
func TestMetricNames(t *testing.T) {
	w := newWorld(t)
	w.ipvs.FailNext(ipvs.MethodAddRealServer, errInjected, 1)
	_, _ = w.syncer.Sync(context.Background(), baseSnapshot(), t0)
	w.sync(baseSnapshot(), t0)
	mfs, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range mfs {
		got = append(got, mf.GetName())
	}
	want := []string{
		"slicelb_node_draining_real_servers",
		"slicelb_node_last_successful_sync_timestamp_seconds",
		"slicelb_node_netlink_errors_total",
		"slicelb_node_netlink_writes_total",
		"slicelb_node_network_programming_duration_seconds",
		"slicelb_node_real_servers",
		"slicelb_node_sync_duration_seconds",
		"slicelb_node_syncs_total",
		"slicelb_node_virtual_servers",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("metric families %v, want %v", got, want)
	}
	if n, _ := histogram(t, w.reg, metricSyncDuration); n != 2 {
		t.Fatalf("sync duration observed %d times, want 2", n)
	}
	if got := gaugeValue(t, w.reg, metricLastSync); got != float64(t0.Unix()) {
		t.Fatalf("last sync timestamp %v, want %v", got, t0.Unix())
	}
}
