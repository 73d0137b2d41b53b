package agent

import (
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

func TestHealthStaleness(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const period = 30 * time.Second
	type step struct {
		at      time.Duration
		sync    bool // record a successful sync at this time before checking
		healthy bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"grace from start before the first sync", []step{
			{at: 0, healthy: true},
			{at: 60 * time.Second, healthy: true},
			{at: 60*time.Second + time.Millisecond, healthy: false},
		}},
		{"fresh sync keeps it healthy, stale sync fails, a new sync heals", []step{
			{at: 10 * time.Second, sync: true, healthy: true},
			{at: 70 * time.Second, healthy: true},
			{at: 71 * time.Second, healthy: false},
			{at: 72 * time.Second, sync: true, healthy: true},
			{at: 132 * time.Second, healthy: true},
			{at: 133 * time.Second, healthy: false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakePassiveClock(t0)
			h := NewHealth(clk, period)
			for i, s := range tc.steps {
				clk.SetTime(t0.Add(s.at))
				if s.sync {
					h.RecordSync(clk.Now())
				}
				err := h.Check(nil)
				if (err == nil) != s.healthy {
					t.Fatalf("step %d (t0+%v): Check() = %v, want healthy=%v", i, s.at, err, s.healthy)
				}
			}
		})
	}
}
