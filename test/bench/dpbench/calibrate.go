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

// Timing is one calibration result: wall time and CPU time, each the smallest over the runs.
type Timing struct {
	Wall, CPU time.Duration
}

// Calibrate times one fixed, deterministic, pure-CPU workload — planning the full sync of
// NewWorld(n, m) — reps times. Run on the host and in the guest in the same benchmark, the ratio
// of the two is the emulator's slowdown on the agent's own Go code. cpu reads a CPU-time clock:
// on a host whose cores are shared, CPU time is what the workload cost whatever else ran, while
// wall time also counts the waits for a core; the smallest of several runs is the least
// disturbed. The heap is collected before each run so every run starts alike. A run planning
// anything else than the n + n×m adds is an error: the workload must be the same every time.
func Calibrate(n, m, reps int, cpu func() (time.Duration, error)) (Timing, error) {
	w := NewWorld(n, m)
	now := time.Unix(0, 0)
	var best Timing
	for range max(reps, 1) {
		runtime.GC()
		c0, err := cpu()
		if err != nil {
			return best, err
		}
		start := time.Now()
		desired := proxier.BuildDesired(proxier.Input{Services: w.Services, Slices: w.Slices,
			Node: proxier.Node{Name: "node-1"}, Options: proxier.Options{Scheduler: proxier.DefaultScheduler}})
		plan := proxier.PlanSync(proxier.SyncInput{Desired: desired, Now: now})
		wall := time.Since(start)
		c1, err := cpu()
		if err != nil {
			return best, err
		}
		if want := n + n*m; len(plan.Ops) != want {
			return best, fmt.Errorf("calibration planned %d ops, want %d", len(plan.Ops), want)
		}
		if best.Wall == 0 || wall < best.Wall {
			best.Wall = wall
		}
		if d := c1 - c0; best.CPU == 0 || (d > 0 && d < best.CPU) {
			best.CPU = d
		}
	}
	return best, nil
}

// MachineCPU is the whole machine's busy CPU time from /proc/stat (user, system, irq, softirq).
// In the VM guest, where the benchmark is the only thing running, it is the time the emulated CPU
// actually ran: the guest's tick accounting skips the time the host did not run it.
func MachineCPU() (time.Duration, error) {
	t, err := ReadCPUTimes()
	return t.User + t.System + t.Irq + t.Softirq, err
}
