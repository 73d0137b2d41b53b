package agent

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Health tells whether the agent keeps the kernel in sync. It fails when the last completed sync
// is older than 2 × the sync period (the agent is wedged: a DaemonSet liveness probe restarts it,
// which is safe because a restart adopts the kernel state without flushing). A sync that ran to its
// end with some failed writes counts as completed (see SyncCompleted): a single Service the kernel
// refuses must not crash-loop the agent. Before the first completed sync the same bound counts
// from the agent's start, so a node whose caches never sync turns unhealthy too.
type Health struct {
	clock      clock.PassiveClock
	syncPeriod time.Duration

	mu       sync.Mutex
	started  time.Time
	lastSync time.Time // zero until the first successful sync
}

// NewHealth returns a Health for an agent with the given --sync-period, started now.
func NewHealth(clk clock.PassiveClock, syncPeriod time.Duration) *Health {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Health{clock: clk, syncPeriod: syncPeriod, started: clk.Now()}
}

// RecordSync records a completed sync that ended at t.
func (h *Health) RecordSync(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t.After(h.lastSync) {
		h.lastSync = t
	}
}

// LastSync returns when the last successful sync ended (zero if none yet).
func (h *Health) LastSync() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastSync
}

// Check is a controller-runtime healthz.Checker: nil when healthy.
func (h *Health) Check(_ *http.Request) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	limit := 2 * h.syncPeriod
	now := h.clock.Now()
	if h.lastSync.IsZero() {
		if age := now.Sub(h.started); age > limit {
			return fmt.Errorf("no successful sync since start %v ago (limit 2 × sync period = %v)", age.Round(time.Second), limit)
		}
		return nil
	}
	if age := now.Sub(h.lastSync); age > limit {
		return fmt.Errorf("last successful sync %v ago (limit 2 × sync period = %v)", age.Round(time.Second), limit)
	}
	return nil
}
