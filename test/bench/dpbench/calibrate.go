package dpbench

import (
	"fmt"
	"runtime"
	"time"

	"github.com/slicelb/slicelb/dataplane/proxier"
)

// CalibrationReps is how many times the host and the guest each run the calibration workload.
const CalibrationReps = 3

// CalibrationWorkload names what Calibrate times, for the report.
func CalibrationWorkload(n, m int) string {
	return fmt.Sprintf("proxier.BuildDesired + proxier.PlanSync of the %d × %d objects against an empty table "+
		"(pure Go, no system calls; the agent's planning for the full sync)", n, m)
}

// Calibrate times one fixed, deterministic, pure-CPU workload — planning the full sync of
// NewWorld(n, m) — reps times and returns the fastest run. Run on the host and in the guest in the
// same benchmark, the ratio of the two is the emulator's slowdown on the agent's own Go code. The
// fastest run is the one least disturbed by other load on the shared cores; the heap is collected
// before each run so every run starts alike. A run planning anything else than the n + n×m adds is
// an error: the workload must be the same every time.
func Calibrate(n, m, reps int) (time.Duration, error) {
	w := NewWorld(n, m)
	now := time.Unix(0, 0)
	best := time.Duration(0)
	for range max(reps, 1) {
		runtime.GC()
		start := time.Now()
		desired := proxier.BuildDesired(proxier.Input{Services: w.Services, Slices: w.Slices,
			Node: proxier.Node{Name: "node-1"}, Options: proxier.Options{Scheduler: proxier.DefaultScheduler}})
		plan := proxier.PlanSync(proxier.SyncInput{Desired: desired, Now: now})
		d := time.Since(start)
		if want := n + n*m; len(plan.Ops) != want {
			return 0, fmt.Errorf("calibration planned %d ops, want %d", len(plan.Ops), want)
		}
		if best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}
