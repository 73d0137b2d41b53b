package ctrlbench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/slicelb/slicelb/test/bench/report"
)

// Config is one run of the controller scenario.
type Config struct {
	Assets, CRDDir, WorkDir string
	Size                    Size
	Contender               Contender
	Rep                     int
	Setting                 string
	FlipRate                float64 // pods per second
	Idle                    time.Duration
	Timeout                 time.Duration // per phase
	// Progress is told the phase and its detail.
	Progress func(detail string)
}

// Run starts a fresh control plane, the contender, runs the phases and measures them. A failure is
// returned in the run's Error and as the error, with whatever was measured before it.
func Run(ctx context.Context, cfg Config) (report.ControllerRun, error) {
	c := cfg.Contender
	res := report.ControllerRun{Contender: c.Name, Setting: cfg.Setting, QPS: c.QPS, Burst: c.Burst, Rep: cfg.Rep}
	err := run(ctx, cfg, &res)
	if err != nil {
		res.Error = err.Error()
	}
	return res, err
}

func run(ctx context.Context, cfg Config, res *report.ControllerRun) error {
	say := func(format string, args ...any) {
		if cfg.Progress != nil {
			cfg.Progress(fmt.Sprintf(format, args...))
		}
	}
	say("starting etcd + kube-apiserver")
	cp, err := StartControlPlane(cfg.Assets, cfg.CRDDir, cfg.WorkDir)
	if err != nil {
		return err
	}
	defer func() { _ = cp.Stop() }()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs := cp.Harness
	if err := createBase(ctx, cs, cfg.Size); err != nil {
		return fmt.Errorf("creating namespace and nodes: %w", err)
	}
	tracker := NewTracker()
	if err := Watch(ctx, cs, tracker); err != nil {
		return err
	}
	say("starting %s", cfg.Contender.Name)
	logPath := filepath.Join(cfg.WorkDir, fmt.Sprintf("%s-%s-%d.log", cfg.Contender.Name, cfg.Setting, cfg.Rep))
	proc, err := cfg.Contender.Start(cp.Kubeconfig, logPath)
	if err != nil {
		return err
	}
	defer proc.Stop()
	if err := waitReady(ctx, cs, tracker, proc, cfg.Size); err != nil {
		return fmt.Errorf("%s never became ready (log %s): %w", cfg.Contender.Name, logPath, err)
	}
	stats0, err := proc.ReadStats()
	if err != nil {
		return err
	}

	// Phase 0: the pods, created and made ready while no Service selects them (40,000 of the
	// harness's own writes at full size, which would otherwise dominate the bulk figure).
	tp := time.Now()
	if err := createPods(ctx, cs, cfg.Size, func(d string) { say("pods: %s", d) }); err != nil {
		return err
	}
	res.PodsHarnessSec = time.Since(tp).Seconds()
	m0, h0, err := snapshot(ctx, cp)
	if err != nil {
		return err
	}

	// Phase 1: bulk create of the Services over the ready pods.
	tracker.SetExpect(bulkExpect(cfg.Size, 0))
	t0 := time.Now()
	sample := func(ok, targets int) {
		res.Timeline = append(res.Timeline, report.Point{T: time.Since(t0).Seconds(), Frac: float64(ok) / float64(max(targets, 1))})
	}
	stop := sampleWhile(tracker, sample)
	say("bulk create: %d Services", cfg.Size.Services)
	if err := createServices(ctx, cs, cfg.Size); err != nil {
		stop()
		return err
	}
	res.BulkHarnessSec = time.Since(t0).Seconds()
	say("bulk create: waiting for %s to converge", cfg.Contender.Name)
	at, err := WaitConverged(ctx, tracker, time.Second, cfg.Timeout, nil)
	stop()
	if err != nil {
		return fmt.Errorf("bulk create: %w", err)
	}
	res.BulkConvergeSec = at.Sub(t0).Seconds()
	m1, h1, err := snapshot(ctx, cp)
	if err != nil {
		return err
	}

	// Phase 2: rolling readiness flip.
	per := cfg.Size.FlipPerService()
	tracker.ResetSeen()
	tracker.SetExpect(bulkExpect(cfg.Size, per))
	t1 := time.Now()
	sent, err := rollingFlip(ctx, cs, cfg.Size, cfg.FlipRate, func(k, n int) { say("flip: %d/%d pods", k, n) })
	if err != nil {
		return fmt.Errorf("flip: %w", err)
	}
	at, err = WaitConverged(ctx, tracker, time.Second, cfg.Timeout, nil)
	if err != nil {
		return fmt.Errorf("flip: %w", err)
	}
	res.FlipConvergeSec = at.Sub(t1).Seconds()
	ds, missing := latencies(sent, tracker.SeenNotReady())
	if missing > 0 {
		return fmt.Errorf("flip: %d flipped pods never seen not ready in a slice", missing)
	}
	res.ReadyToSliceP50Ms = float64(Percentile(ds, 50).Microseconds()) / 1000
	res.ReadyToSliceP99Ms = float64(Percentile(ds, 99).Microseconds()) / 1000
	res.ReadyToSliceN = len(ds)
	m2, h2, err := snapshot(ctx, cp)
	if err != nil {
		return err
	}

	// Phase 3: selectorless Services with hand-written Endpoints (mirroring).
	say("selectorless: %d Services", cfg.Size.Selectorless)
	expect := bulkExpect(cfg.Size, per)
	for i := range cfg.Size.Selectorless {
		expect[selectorlessName(i)] = Expect{Ready: cfg.Size.AddressesPerEndpoints}
	}
	tracker.SetExpect(expect)
	t2 := time.Now()
	if err := createSelectorless(ctx, cs, cfg.Size); err != nil {
		return fmt.Errorf("selectorless: %w", err)
	}
	at, err = WaitConverged(ctx, tracker, time.Second, cfg.Timeout, nil)
	if err != nil {
		return fmt.Errorf("selectorless: %w", err)
	}
	res.SelectorlessConvergeSec = at.Sub(t2).Seconds()
	m3, h3, err := snapshot(ctx, cp)
	if err != nil {
		return err
	}

	// Phase 4: idle window, nothing changes.
	say("idle window: %s", cfg.Idle)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(cfg.Idle):
	}
	m4, h4, err := snapshot(ctx, cp)
	if err != nil {
		return err
	}
	stats1, err := proc.ReadStats()
	if err != nil {
		return err
	}
	if err := proc.Exited(); err != nil {
		return fmt.Errorf("%s exited during the run: %w", cfg.Contender.Name, err)
	}
	res.Writes, res.WritesTotal = ContenderWrites(m0, m3, h0, h3)
	_, res.WritesBulk = ContenderWrites(m0, m1, h0, h1)
	_, res.WritesFlip = ContenderWrites(m1, m2, h1, h2)
	_, res.IdleWrites = ContenderWrites(m3, m4, h3, h4)
	res.Conflicts = m3.Conflicts - m0.Conflicts
	res.PeakRSSMiB = stats1.PeakRSSMiB
	res.CPUSeconds = stats1.CPUSeconds - stats0.CPUSeconds
	return nil
}

// bulkExpect is every selector Service with its pods, notReady of each not ready.
func bulkExpect(size Size, notReady int) map[string]Expect {
	out := make(map[string]Expect, size.Services)
	for i := range size.Services {
		out[serviceName(i)] = Expect{Ready: size.PodsPerService - notReady, NotReady: notReady, Endpoints: true}
	}
	return out
}

func snapshot(ctx context.Context, cp *ControlPlane) (RequestCounts, map[string]int, error) {
	h := cp.Counter.Snapshot()
	m, err := ScrapeRequests(ctx, cp.Harness)
	return m, h, err
}

// sampleWhile calls sample every 100 ms until the returned stop is called.
func sampleWhile(t *Tracker, sample func(ok, targets int)) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			ok, targets, _ := t.Progress()
			sample(ok, targets)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
