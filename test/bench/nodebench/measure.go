package nodebench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slicelb/slicelb/test/bench/nodebench/nbapi"
	"github.com/slicelb/slicelb/test/bench/report"
)

func (vm *guestVM) url(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", vm.port, path)
}

func (vm *guestVM) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := vm.url(path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := vm.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("VM control endpoint %s: %w", path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return b, nil
}

func (vm *guestVM) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	b, err := vm.get(ctx, path, q)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// sample is one reading of an agent's metrics.
type sample struct {
	sum    float64
	count  int
	writes int
}

func (vm *guestVM) sample(ctx context.Context, a agentSpec) (sample, error) {
	b, err := vm.get(ctx, nbapi.PathMetrics, nil)
	if err != nil {
		return sample{}, err
	}
	var s sample
	s.sum, _ = MetricSum(string(b), a.syncSum, a.labels...)
	c, found := MetricSum(string(b), a.syncCount, a.labels...)
	if !found {
		return s, fmt.Errorf("%s: no %s in its metrics", a.name, a.syncCount)
	}
	s.count = int(c)
	s.writes = -1
	if a.writes != "" {
		w, _ := MetricSum(string(b), a.writes)
		s.writes = int(w)
	}
	return s, nil
}

// waitSyncs polls the metrics until the sync count exceeds after and then holds still for quiet:
// the syncs a step caused are over. The kernel can show a change before the sync that made it
// has finished, so the step's own metrics are read only then.
func (vm *guestVM) waitSyncs(ctx context.Context, a agentSpec, after int, quiet, timeout time.Duration) (sample, error) {
	deadline := time.Now().Add(timeout)
	var last sample
	var since time.Time
	for {
		s, err := vm.sample(ctx, a)
		if err == nil {
			if s.count != last.count || since.IsZero() {
				last, since = s, time.Now()
			}
			if s.count > after && time.Since(since) >= quiet {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return last, fmt.Errorf("%s: sync count still %d (waiting for more than %d) after %v (last error: %v)", a.name, last.count, after, timeout, err)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (vm *guestVM) traceCount(ctx context.Context) (nbapi.TraceCount, error) {
	var t nbapi.TraceCount
	err := vm.getJSON(ctx, nbapi.PathTrace, nil, &t)
	return t, err
}

// passResult is one run of an agent through the three steps.
type passResult struct {
	steps  []report.AgentStep
	traces []nbapi.TraceCount // cumulative counts after each step (traced passes)
	rssMiB float64
}

// pass starts the agent, measures the three steps and stops it.
func (vm *guestVM) pass(ctx context.Context, a agentSpec, w *world, o Options, traced bool) (passResult, error) {
	var pr passResult
	q := url.Values{"agent": {a.name}}
	if traced {
		q.Set("trace", "1")
	}
	var st nbapi.Started
	if err := vm.getJSON(ctx, nbapi.PathStart, q, &st); err != nil {
		return pr, err
	}
	stopped := false
	defer func() {
		if !stopped {
			var s nbapi.Stopped
			_ = vm.getJSON(ctx, nbapi.PathStop, nil, &s)
		}
	}()
	mark := func() error {
		if !traced {
			return nil
		}
		t, err := vm.traceCount(ctx)
		pr.traces = append(pr.traces, t)
		return err
	}
	// Full sync.
	var full nbapi.Waited
	if err := vm.getJSON(ctx, nbapi.PathWaitFull, url.Values{"timeout": {"3600"}}, &full); err != nil {
		return pr, err
	}
	m1, err := vm.waitSyncs(ctx, a, 0, 3*time.Second, 5*time.Minute)
	if err != nil {
		return pr, err
	}
	pr.steps = append(pr.steps, report.AgentStep{Name: report.AgentStepFull, WallMs: full.Millis, SyncSeconds: m1.sum, Syncs: m1.count, AgentWrites: m1.writes})
	if err := mark(); err != nil {
		return pr, err
	}
	// One endpoint change, timed from the harness's update until the kernel shows it.
	i := w.changes % len(w.slices)
	t0 := time.Now()
	vip, rs, err := w.change(ctx, i, o.Endpoints)
	if err != nil {
		return pr, fmt.Errorf("updating EndpointSlice %d: %w", i, err)
	}
	var seen nbapi.Waited
	if err := vm.getJSON(ctx, nbapi.PathWaitReal, url.Values{"vip": {vip}, "rs": {rs}}, &seen); err != nil {
		return pr, err
	}
	change := float64(time.Since(t0).Microseconds()) / 1000
	m2, err := vm.waitSyncs(ctx, a, m1.count, 2*time.Second, 2*time.Minute)
	if err != nil {
		return pr, err
	}
	pr.steps = append(pr.steps, report.AgentStep{Name: report.AgentStepChange, WallMs: change, SyncSeconds: m2.sum - m1.sum,
		Syncs: m2.count - m1.count, AgentWrites: diff(m2.writes, m1.writes)})
	if err := mark(); err != nil {
		return pr, err
	}
	// No-op: the next periodic sync, nothing having changed.
	m3, err := vm.waitSyncs(ctx, a, m2.count, 0, 2*o.SyncPeriod+2*time.Minute)
	if err != nil {
		return pr, err
	}
	noop := report.AgentStep{Name: report.AgentStepNoop, SyncSeconds: m3.sum - m2.sum, Syncs: m3.count - m2.count, AgentWrites: diff(m3.writes, m2.writes)}
	if noop.Syncs > 0 {
		noop.WallMs = noop.SyncSeconds * 1000 / float64(noop.Syncs)
	}
	pr.steps = append(pr.steps, noop)
	if err := mark(); err != nil {
		return pr, err
	}
	var s nbapi.Stopped
	stopped = true
	if err := vm.getJSON(ctx, nbapi.PathStop, nil, &s); err != nil {
		return pr, err
	}
	pr.rssMiB = float64(s.PeakRSSKiB) / 1024
	return pr, nil
}

// diff is b − a for counters that may be absent (-1).
func diff(b, a int) int {
	if a < 0 || b < 0 {
		return -1
	}
	return b - a
}

// measure runs the timed pass, then (with strace in the guest) the counting pass, each followed by
// the agent's cleanup, and merges them.
func (vm *guestVM) measure(ctx context.Context, a agentSpec, w *world, o Options) report.AgentBench {
	ab := report.AgentBench{Agent: a.name, Version: a.version, Args: a.args}
	timed, err := vm.pass(ctx, a, w, o, false)
	ab.Cleanup = vm.cleanup(ctx, a)
	if err != nil {
		ab.Error = err.Error()
		ab.Steps = timed.steps
		return ab
	}
	ab.Steps, ab.PeakRSSMiB = timed.steps, timed.rssMiB
	for i := range ab.Steps {
		ab.Steps[i].NetlinkWrites, ab.Steps[i].NetlinkReads = -1, -1
	}
	if !vm.haveStrace {
		ab.TraceNote = "no strace in the guest (hack/vm-assets.sh's userland is missing)"
		return ab
	}
	o.Say("%s (strace pass)", a.name)
	traced, err := vm.pass(ctx, a, w, o, true)
	ab.Cleanup += "; after the strace pass: " + vm.cleanup(ctx, a)
	if err != nil {
		ab.TraceNote = "the strace pass failed: " + err.Error()
		return ab
	}
	ab.Traced = true
	prev := nbapi.TraceCount{}
	for i, t := range traced.traces {
		if i >= len(ab.Steps) {
			break
		}
		d := t.Sub(prev)
		prev = t
		ab.Steps[i].NetlinkWrites, ab.Steps[i].NetlinkReads = d.Sends, d.Recvs
		ab.Steps[i].TracedWallMs = traced.steps[i].WallMs
	}
	return ab
}

// cleanup runs the agent's cleanup command and describes the outcome.
func (vm *guestVM) cleanup(ctx context.Context, a agentSpec) string {
	var c nbapi.Cleaned
	if err := vm.getJSON(ctx, nbapi.PathCleanup, url.Values{"agent": {a.name}}, &c); err != nil {
		return "cleanup request failed: " + err.Error()
	}
	s := fmt.Sprintf("%d virtual servers left", c.VirtualServersLeft)
	if c.Err != "" {
		s += fmt.Sprintf(" (cleanup: %s: %s)", c.Err, lastLine(c.Output))
	}
	return s
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}
