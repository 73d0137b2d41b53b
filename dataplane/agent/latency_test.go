package agent

import (
	"context"
	"testing"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

func withTrigger(snap Snapshot, slice int, t time.Time) Snapshot {
	s := snap.Slices[slice].DeepCopy()
	s.Annotations = map[string]string{AnnotationLastChangeTriggerTime: t.Format(time.RFC3339Nano)}
	snap.Slices[slice] = s
	return snap
}

// TestNetworkProgrammingLatency: observed once per new trigger time, from the annotation to the
// end of the successful sync that programmed it; not at start-up, not on a failed sync.
func TestNetworkProgrammingLatency(t *testing.T) {
	w := newWorld(t)
	count := func() (uint64, float64) { return histogram(t, w.reg, metricProgrammingDuration) }

	w.sync(withTrigger(baseSnapshot(), 0, t0.Add(-time.Hour)), t0)
	if n, _ := count(); n != 0 {
		t.Fatalf("start-up sync observed %d latencies, want 0", n)
	}
	w.sync(withTrigger(baseSnapshot(), 0, t0.Add(-time.Hour)), t0.Add(time.Second))
	if n, _ := count(); n != 0 {
		t.Fatalf("unchanged trigger time observed %d latencies, want 0", n)
	}

	// A change whose sync fails is measured by the sync that finally programs it.
	changed := withTrigger(removedSnapshot(), 0, t0.Add(10*time.Second))
	w.ipvs.FailNext(ipvs.MethodUpdateRealServer, errInjected, 1)
	w.ipvs.FailNext(ipvs.MethodDeleteRealServer, errInjected, 1)
	if _, err := w.syncer.Sync(context.Background(), changed, t0.Add(11*time.Second)); err == nil {
		t.Fatal("want the injected failure")
	}
	if n, _ := count(); n != 0 {
		t.Fatalf("failed sync observed %d latencies", n)
	}
	w.sync(changed, t0.Add(13*time.Second))
	if n, sum := count(); n != 1 || sum != 3 {
		t.Fatalf("latency count %d sum %vs, want 1 observation of 3s", n, sum)
	}
}
