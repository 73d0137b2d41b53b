package agent

import (
	"context"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// RunnerOptions configures a Runner.
type RunnerOptions struct {
	// MinInterval is the shortest time between two runs (--min-sync-period): a burst of triggers
	// inside it costs one run, like kube-proxy's BoundedFrequencyRunner minInterval.
	MinInterval time.Duration
	// MaxInterval is the longest time between two runs (--sync-period): a periodic full resync
	// repairs drift even when no event arrives.
	MaxInterval time.Duration
	// BackoffBase is the first retry delay after a failed run; it doubles per consecutive failure
	// up to BackoffMax. Defaults: MinInterval (or 1s), and MaxInterval.
	BackoffBase time.Duration
	// BackoffMax caps the retry delay.
	BackoffMax time.Duration
	// Clock is injectable for tests; defaults to the real clock.
	Clock clock.Clock
}

// Runner calls a function when triggered, never more often than MinInterval, at least every
// MaxInterval, and again after a backoff when the function failed. Triggers only mark the state
// dirty; a burst of them is coalesced into one run.
type Runner struct {
	fn    func(context.Context) error
	opts  RunnerOptions
	clock clock.Clock
	kick  chan struct{}

	mu       sync.Mutex
	started  time.Time
	lastRun  time.Time // start of the last run; zero before the first
	dirty    bool
	retryAt  time.Time // zero when no retry is pending
	runBy    time.Time // zero, or a deadline a run must not be later than (drain deadlines)
	failures int       // consecutive failed runs
}

// NewRunner returns a Runner for fn; call Loop to start it.
func NewRunner(fn func(context.Context) error, opts RunnerOptions) *Runner {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.MaxInterval <= 0 {
		opts.MaxInterval = 30 * time.Second
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = opts.MinInterval
		if opts.BackoffBase <= 0 {
			opts.BackoffBase = time.Second
		}
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = opts.MaxInterval
	}
	return &Runner{
		fn:      fn,
		opts:    opts,
		clock:   opts.Clock,
		kick:    make(chan struct{}, 1),
		started: opts.Clock.Now(),
	}
}

// Trigger marks the state dirty; the next run happens as soon as MinInterval allows.
// It never blocks and is safe to call from informer event handlers.
func (r *Runner) Trigger() {
	r.mu.Lock()
	r.dirty = true
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default: // a wake-up is already pending: this trigger is coalesced into it
	}
}

// RunBy asks for a run no later than t (still no earlier than MinInterval after the last run),
// e.g. when a draining real server's deadline falls before the next periodic sync.
func (r *Runner) RunBy(t time.Time) {
	r.mu.Lock()
	if r.runBy.IsZero() || t.Before(r.runBy) {
		r.runBy = t
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Loop runs until ctx is done.
func (r *Runner) Loop(ctx context.Context) {
	for {
		if r.tick(ctx, r.clock.Now()) {
			continue // re-plan right away: events may have arrived during the run
		}
		wait := r.next().Sub(r.clock.Now())
		timer := r.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-r.kick:
		case <-timer.C():
		}
		timer.Stop()
	}
}

// tick runs fn when it is due at now and reports whether it ran.
func (r *Runner) tick(ctx context.Context, now time.Time) bool {
	if ctx.Err() != nil || now.Before(r.next()) {
		return false
	}
	r.mu.Lock()
	r.lastRun, r.dirty, r.retryAt, r.runBy = now, false, time.Time{}, time.Time{}
	r.mu.Unlock()

	err := r.fn(ctx)

	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		r.failures = 0
		return true
	}
	r.failures++
	r.retryAt = now.Add(r.backoff())
	return true
}

// next is the earliest time the next run is due.
func (r *Runner) next() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastRun.IsZero() {
		// The first run is not held back by MinInterval: it is the initial programming.
		if r.dirty {
			return r.started
		}
		return r.started.Add(r.opts.MaxInterval)
	}
	due := r.lastRun.Add(r.opts.MaxInterval)
	earliest := r.lastRun.Add(r.opts.MinInterval)
	if r.dirty {
		due = minTime(due, earliest)
	}
	if !r.retryAt.IsZero() {
		due = minTime(due, maxTime(r.retryAt, earliest))
	}
	if !r.runBy.IsZero() {
		due = minTime(due, maxTime(r.runBy, earliest))
	}
	return due
}

// backoff is the retry delay after r.failures consecutive failures (called with mu held).
func (r *Runner) backoff() time.Duration {
	d := r.opts.BackoffBase
	for i := 1; i < r.failures && d < r.opts.BackoffMax; i++ {
		d *= 2
	}
	return min(d, r.opts.BackoffMax)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
