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

// netlinkCount reads the guest's netlink counter; enable, when not empty, first turns the tap on
// ("1") or off ("0").
func (vm *guestVM) netlinkCount(ctx context.Context, enable string) (nbapi.NetlinkCount, error) {
	var n nbapi.NetlinkCount
	var q url.Values
	if enable != "" {
		q = url.Values{"enable": {enable}}
	}
	err := vm.getJSON(ctx, nbapi.PathNetlink, q, &n)
	return n, err
}

// passResult is one run of an agent through the three steps.
type passResult struct {
	steps   []report.AgentStep
	netlink []nbapi.NetlinkCount // per step (counting passes)
	rssMiB  float64
}

// pass starts the agent, measures the three steps and stops it. A timed pass watches the kernel
// (the guest polls IPVS over netlink) to time each step; a counting pass does not touch the kernel
// while a step runs, so the guest's netlink counter sees only the agent: a step ends when the
// agent's own sync count has moved and held still, and the kernel is checked only after the
// step's count is taken (that check's messages are left out of every step).
func (vm *guestVM) pass(ctx context.Context, a agentSpec, w *world, o Options, counting bool) (passResult, error) {
	var pr passResult
	var marks []nbapi.NetlinkCount
	mark := func() error {
		if !counting {
			return nil
		}
		n, err := vm.netlinkCount(ctx, "")
		marks = append(marks, n)
		return err
	}
	// step closes a step: its count is from the last mark to now; after verify, a new mark.
	step := func(verify func() error) error {
		if !counting {
			return verify()
		}
		n, err := vm.netlinkCount(ctx, "")
		if err != nil {
			return err
		}
		pr.netlink = append(pr.netlink, n.Sub(marks[len(marks)-1]))
		if err := verify(); err != nil {
			return err
		}
		return mark()
	}
	if counting {
		// The tap costs the guest a copy of every netlink message: on only for this pass.
		if _, err := vm.netlinkCount(ctx, "1"); err != nil {
			return pr, err
		}
		defer func() { _, _ = vm.netlinkCount(ctx, "0") }()
	}
	if err := mark(); err != nil {
		return pr, err
	}
	var st nbapi.Started
	if err := vm.getJSON(ctx, nbapi.PathStart, url.Values{"agent": {a.name}}, &st); err != nil {
		return pr, err
	}
	stopped := false
	defer func() {
		if !stopped {
			var s nbapi.Stopped
			_ = vm.getJSON(ctx, nbapi.PathStop, nil, &s)
		}
	}()
	// Full sync.
	var full nbapi.Waited
	waitFull := func() error { return vm.getJSON(ctx, nbapi.PathWaitFull, url.Values{"timeout": {"3600"}}, &full) }
	if !counting {
		if err := waitFull(); err != nil {
			return pr, err
		}
	}
	m1, err := vm.waitSyncs(ctx, a, 0, 3*time.Second, time.Hour)
	if err != nil {
		return pr, err
	}
	if err := step(func() error {
		if counting {
			return waitFull()
		}
		return nil
	}); err != nil {
		return pr, err
	}
	pr.steps = append(pr.steps, report.AgentStep{Name: report.AgentStepFull, WallMs: full.Millis, SyncSeconds: m1.sum, Syncs: m1.count, AgentWrites: m1.writes})
	// One endpoint change, timed from the harness's update until the kernel shows it.
	i := w.changes % len(w.slices)
	t0 := time.Now()
	vip, rs, err := w.change(ctx, i, o.Endpoints)
	if err != nil {
		return pr, fmt.Errorf("updating EndpointSlice %d: %w", i, err)
	}
	var seen nbapi.Waited
	waitReal := func() error { return vm.getJSON(ctx, nbapi.PathWaitReal, url.Values{"vip": {vip}, "rs": {rs}}, &seen) }
	change := 0.0
	if !counting {
		if err := waitReal(); err != nil {
			return pr, err
		}
		change = float64(time.Since(t0).Microseconds()) / 1000
	}
	m2, err := vm.waitSyncs(ctx, a, m1.count, 2*time.Second, 10*time.Minute)
	if err != nil {
		return pr, err
	}
	if err := step(func() error {
		if counting {
			return waitReal()
		}
		return nil
	}); err != nil {
		return pr, err
	}
	pr.steps = append(pr.steps, report.AgentStep{Name: report.AgentStepChange, WallMs: change, SyncSeconds: m2.sum - m1.sum,
		Syncs: m2.count - m1.count, AgentWrites: diff(m2.writes, m1.writes)})
	// No-op: the next periodic sync, nothing having changed.
	m3, err := vm.waitSyncs(ctx, a, m2.count, 0, 2*o.SyncPeriod+5*time.Minute)
	if err != nil {
		return pr, err
	}
	if err := step(func() error { return nil }); err != nil {
		return pr, err
	}
	noop := report.AgentStep{Name: report.AgentStepNoop, SyncSeconds: m3.sum - m2.sum, Syncs: m3.count - m2.count, AgentWrites: diff(m3.writes, m2.writes)}
	if noop.Syncs > 0 {
		noop.WallMs = noop.SyncSeconds * 1000 / float64(noop.Syncs)
	}
	pr.steps = append(pr.steps, noop)
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

// measure runs the timed pass, then the counting pass, each followed by the agent's cleanup (and
// a flush of whatever it left), and merges them.
func (vm *guestVM) measure(ctx context.Context, a agentSpec, w *world, o Options) report.AgentBench {
	ab := report.AgentBench{Agent: a.name, Version: a.version, Args: a.args}
	timed, err := vm.pass(ctx, a, w, o, false)
	ab.Cleanup = vm.cleanup(ctx, a)
	ab.Steps = timed.steps
	for i := range ab.Steps {
		ab.Steps[i].NetlinkWrites, ab.Steps[i].NetlinkReads = -1, -1
	}
	if err != nil {
		ab.Error = err.Error()
		return ab
	}
	ab.PeakRSSMiB = timed.rssMiB
	o.Say("%s (netlink counting pass)", a.name)
	counted, err := vm.pass(ctx, a, w, o, true)
	ab.Cleanup += "; after the counting pass: " + vm.cleanup(ctx, a)
	if err != nil {
		ab.NetlinkNote = "the counting pass failed: " + err.Error()
		return ab
	}
	ab.NetlinkCounted = true
	dropped := 0
	for i, n := range counted.netlink {
		if i >= len(ab.Steps) || i >= len(counted.steps) {
			break
		}
		ab.Steps[i].NetlinkWrites, ab.Steps[i].NetlinkReads = n.Writes, n.Reads
		ab.Steps[i].NetlinkReplies, ab.Steps[i].NetlinkReplyMessages = n.Replies, n.ReplyMessages
		ab.Steps[i].CountingPassSyncs = counted.steps[i].Syncs
		dropped += n.Dropped + n.Truncated
	}
	if dropped > 0 {
		ab.NetlinkNote = fmt.Sprintf("the counting socket lost or truncated %d skbs: the counts are lower bounds", dropped)
	}
	return ab
}

// cleanup runs the agent's cleanup command, then has the guest flush what it left, and describes
// the outcome.
func (vm *guestVM) cleanup(ctx context.Context, a agentSpec) string {
	var c nbapi.Cleaned
	if err := vm.getJSON(ctx, nbapi.PathCleanup, url.Values{"agent": {a.name}, "flush": {"1"}}, &c); err != nil {
		return "cleanup request failed: " + err.Error()
	}
	s := fmt.Sprintf("`%s %s`: %d virtual servers left", a.name, strings.Join(a.cleanup, " "), c.VirtualServersLeft)
	if c.Err != "" {
		s += fmt.Sprintf(" (%s: %s)", c.Err, errorLines(c.Output))
	}
	if c.Flushed != "" {
		s += "; the guest then " + c.Flushed
	}
	return s
}

// errorLines keeps the error lines of a command's output (klog E lines, "error" mentions), or
// its last line.
func errorLines(s string) string {
	var out []string
	inError := false
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		// klog's multi-line values (err=< ... >) continue on indented lines.
		cont := inError && (strings.HasPrefix(l, "\t") || strings.HasPrefix(l, " "))
		inError = cont || strings.HasPrefix(l, "E") || strings.Contains(strings.ToLower(l), "error")
		if inError {
			out = append(out, strings.TrimSpace(l))
		}
	}
	if len(out) == 0 {
		l := strings.Split(strings.TrimSpace(s), "\n")
		return l[len(l)-1]
	}
	return strings.Join(out, " / ")
}
