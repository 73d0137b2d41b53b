package dpbench

import (
	"testing"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// The cached strategy reads the kernel only on Resync, writes exactly the diff, and its cache is
// the whole kernel state after every sync.
func TestCachedMatchesKernel(t *testing.T) {
	fake := ipvs.NewFake()
	cnt := &Counting{Inner: fake}
	c := &Cached{H: cnt, NodeName: "node-1"}
	if err := c.Resync(); err != nil {
		t.Fatal(err)
	}
	world := NewWorld(30, 4)
	now := time.Unix(1000, 0)
	steps := []struct {
		name   string
		w      World
		writes int
	}{
		{"full", world, 30 + 30*4},
		{"one endpoint replaced (add + drain)", world.ReplaceEndpoint(3, 999), 2},
		{"no-op", world.ReplaceEndpoint(3, 999), 0},
	}
	reads0, _ := cnt.Counts()
	if reads0 != 1 {
		t.Fatalf("Resync of an empty kernel made %d reads, want 1", reads0)
	}
	for _, s := range steps {
		_, w0 := cnt.Counts()
		n, err := c.Sync(s.w, now)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		r, w1 := cnt.Counts()
		if n != s.writes || w1-w0 != s.writes || r != reads0 {
			t.Fatalf("%s: %d ops, %d counted writes, %d reads; want %d writes and no read", s.name, n, w1-w0, r-reads0, s.writes)
		}
		if got, want := c.Table().String(), fake.State().String(); got != want {
			t.Fatalf("%s: cache differs from the kernel\ncache:\n%s\nkernel:\n%s", s.name, got, want)
		}
	}
}

// The calibration workload plans exactly the full sync's adds, every run, and takes some time.
func TestCalibrate(t *testing.T) {
	d, err := Calibrate(50, 3, 2, ProcessCPU)
	if err != nil || d.Wall <= 0 || d.CPU < 0 {
		t.Fatalf("Calibrate = %+v, %v", d, err)
	}
}
