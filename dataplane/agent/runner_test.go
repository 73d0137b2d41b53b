package agent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// fnRecorder counts runs and can be told to fail.
type fnRecorder struct {
	mu   sync.Mutex
	runs []time.Time
	fail bool
	clk  interface{ Now() time.Time }
}

func (f *fnRecorder) fn(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs = append(f.runs, f.clk.Now())
	if f.fail {
		return errors.New("injected")
	}
	return nil
}

func (f *fnRecorder) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.runs)
}

// step is one action on a runner at a fake time, and the run count expected after it.
type step struct {
	at      time.Duration // time since t0
	trigger int           // triggers before the tick
	runBy   time.Duration // when > 0: RunBy(t0 + runBy) before the tick
	fail    bool          // fn fails on this tick (when it runs)
	want    int           // total runs after the tick
}

// TestRunnerSchedule drives the runner's decision step with a fake clock: every row is a sequence
// of actions and the run count expected after each.
func TestRunnerSchedule(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const (
		minI = time.Second
		maxI = 30 * time.Second
	)
	tests := []struct {
		name  string
		steps []step
	}{
		{"no trigger: nothing before the max interval", []step{
			{at: 0, want: 0}, {at: 29 * time.Second, want: 0}, {at: 30 * time.Second, want: 1},
		}},
		{"burst of events is one run, the first immediately", []step{
			{at: 0, trigger: 100, want: 1}, {at: 0, want: 1}, {at: 500 * time.Millisecond, want: 1},
		}},
		{"burst inside the min interval is held back and coalesced", []step{
			{at: 0, trigger: 1, want: 1},
			{at: 100 * time.Millisecond, trigger: 50, want: 1},
			{at: 999 * time.Millisecond, trigger: 50, want: 1},
			{at: time.Second, want: 2},
			{at: 1500 * time.Millisecond, want: 2},
		}},
		{"max interval respected after the last run", []step{
			{at: 0, trigger: 1, want: 1},
			{at: 29 * time.Second, want: 1},
			{at: 30 * time.Second, want: 2},
			{at: 59 * time.Second, want: 2},
			{at: 60 * time.Second, want: 3},
		}},
		{"failure is retried with doubling backoff", []step{
			{at: 0, trigger: 1, fail: true, want: 1},
			{at: 999 * time.Millisecond, want: 1},
			{at: time.Second, fail: true, want: 2}, // backoff 1s
			{at: 2900 * time.Millisecond, want: 2},
			{at: 3 * time.Second, fail: true, want: 3}, // backoff 2s
			{at: 6900 * time.Millisecond, want: 3},
			{at: 7 * time.Second, want: 4}, // backoff 4s, succeeds
			{at: 20 * time.Second, want: 4},
			{at: 37 * time.Second, want: 5}, // back to the max interval
		}},
		{"success resets the backoff", []step{
			{at: 0, trigger: 1, fail: true, want: 1},
			{at: time.Second, fail: true, want: 2},
			{at: 3 * time.Second, want: 3},
			{at: 3 * time.Second, trigger: 1, want: 3},
			{at: 4 * time.Second, fail: true, want: 4},
			{at: 4900 * time.Millisecond, want: 4},
			{at: 5 * time.Second, want: 5}, // 1s again, not 8s
		}},
		{"RunBy brings the next run forward, never inside the min interval", []step{
			{at: 0, trigger: 1, want: 1},
			{at: 100 * time.Millisecond, runBy: 500 * time.Millisecond, want: 1},
			{at: 999 * time.Millisecond, want: 1},
			{at: time.Second, want: 2}, // min interval wins over the earlier deadline
			{at: 2 * time.Second, runBy: 10 * time.Second, want: 2},
			{at: 9 * time.Second, want: 2},
			{at: 10 * time.Second, want: 3},
			{at: 39 * time.Second, want: 3}, // consumed: back to the max interval
			{at: 40 * time.Second, want: 4},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(t0)
			rec := &fnRecorder{clk: clk}
			r := NewRunner(rec.fn, RunnerOptions{MinInterval: minI, MaxInterval: maxI, Clock: clk})
			runSteps(t, clk, rec, r, t0, tc.steps)
		})
	}
}

// runSteps plays steps against r at fake times.
func runSteps(t *testing.T, clk *clocktesting.FakeClock, rec *fnRecorder, r *Runner, t0 time.Time, steps []step) {
	t.Helper()
	for i, s := range steps {
		clk.SetTime(t0.Add(s.at))
		for range s.trigger {
			r.Trigger()
		}
		if s.runBy > 0 {
			r.RunBy(t0.Add(s.runBy))
		}
		rec.mu.Lock()
		rec.fail = s.fail
		rec.mu.Unlock()
		r.tick(context.Background(), clk.Now())
		if got := rec.count(); got != s.want {
			t.Fatalf("step %d (t0+%v): runs = %d, want %d", i, s.at, got, s.want)
		}
	}
}

// TestRunnerBackoffCap checks the retry delay never exceeds BackoffMax.
func TestRunnerBackoffCap(t *testing.T) {
	r := NewRunner(nil, RunnerOptions{MinInterval: time.Second, MaxInterval: 30 * time.Second})
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, w := range want {
		r.failures = i + 1
		if got := r.backoff(); got != w*time.Second {
			t.Errorf("failures=%d: backoff %v, want %v", i+1, got, w*time.Second)
		}
	}
}

// TestRunnerLoopRealClock runs the real loop: a burst of triggers gives one immediate run and at
// most one trailing run, and two runs are never closer than the min interval.
func TestRunnerLoopRealClock(t *testing.T) {
	const minI = 200 * time.Millisecond
	rec := &fnRecorder{clk: realNow{}}
	r := NewRunner(rec.fn, RunnerOptions{MinInterval: minI, MaxInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Loop(ctx); close(done) }()

	for range 1000 {
		r.Trigger()
	}
	waitFor(t, func() bool { return rec.count() >= 1 })
	for range 1000 {
		r.Trigger()
	}
	waitFor(t, func() bool { return rec.count() >= 2 })
	time.Sleep(3 * minI) // no trigger since: nothing more may run (max interval is an hour)
	cancel()
	<-done

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.runs) != 2 {
		t.Fatalf("runs = %d, want 2 (2000 triggers in two bursts)", len(rec.runs))
	}
	if gap := rec.runs[1].Sub(rec.runs[0]); gap < minI {
		t.Fatalf("runs %v apart, want >= min interval %v", gap, minI)
	}
}

type realNow struct{}

func (realNow) Now() time.Time { return time.Now() }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
