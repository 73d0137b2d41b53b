package report

import (
	"bytes"
	"strings"
	"testing"
)

// The TCG calibration turns the guest's times into native-equivalent estimates: by CPU time when
// both sides measured it, by wall time otherwise, and says they are estimates.
func TestDataplaneCalibration(t *testing.T) {
	const variant = "agent"
	full := DataplaneStep{Name: StepFull, Variant: variant, WallMs: 40000, Writes: 110, FloorDiff: 110,
		IPVSWriteMs: 5000, DeviceMs: 30000, GuestCPU: &CPUSplit{UserMs: 5000, SystemMs: 14000, SoftirqMs: 1000}}
	for _, tc := range []struct {
		name string
		cal  *Calibration
		want []string
	}{{
		name: "CPU time on both sides",
		cal:  &Calibration{Workload: "w", Reps: 3, HostMs: 1000, GuestMs: 8000, HostCPUMs: 500, GuestCPUMs: 5000},
		want: []string{
			"| wall | 1000.0 ms | 8000.0 ms | 8.0× |",
			"| 10.0× |",
			"| full sync | agent | 40000 ms | 20000 ms | ~2000 ms (guest CPU 20000 ms ÷ 10.0) |",
			"native-equivalent estimate** (agent) | guest CPU 20000 ms ÷ 10.0 = ~2000 ms (estimate, see TCG calibration) | **not met** (estimate) |",
		},
	}, {
		name: "wall time only",
		cal:  &Calibration{Workload: "w", Reps: 3, HostMs: 1000, GuestMs: 40000},
		want: []string{
			"| full sync | agent | 40000 ms | 20000 ms | ~1000 ms (wall 40000 ms ÷ 40.0) |",
			"= ~1000 ms (estimate, see TCG calibration) | met (estimate) |",
		},
	}, {
		name: "no calibration: no estimate",
		want: []string{"| full sync of 0×0 < 2 s (agent) | 40000 ms | **not met** |"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Results{Dataplane: DataplaneBench{Steps: []DataplaneStep{full}, Calibration: tc.cal}}
			var b bytes.Buffer
			if err := WriteMarkdown(&b, r); err != nil {
				t.Fatal(err)
			}
			md := b.String()
			for _, w := range tc.want {
				if !strings.Contains(md, w) {
					t.Errorf("missing %q in\n%s", w, md)
				}
			}
			if tc.cal == nil && strings.Contains(md, "estimate") {
				t.Error("an estimate without a calibration")
			}
			// Where the time went: 40000 - 5000 - 30000 = 5000 ms of planning.
			if !strings.Contains(md, "| full sync | agent | 40000 | 5000 | 0 | 30000 | 5000 | 5000 / 14000 / 1000 |") {
				t.Errorf("no time split row in\n%s", md)
			}
		})
	}
}
