//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/slicelb/slicelb/test/vmnode/guestapi"
)

// agent is the running slicelb-node process (nil while startAgent waits to restart it), so the
// control endpoint can kill it the way a node's OOM killer or a crashing container runtime would.
var agent agentProcess

type agentProcess struct {
	mu sync.Mutex
	p  *os.Process
}

func (a *agentProcess) set(p *os.Process) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.p = p
}

func (a *agentProcess) get() *os.Process {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.p
}

// restartTimeout bounds SIGKILL → the restarted agent ready: startAgent waits 2 s, then the agent
// lists the API and syncs once (seconds on a TCG VM).
const restartTimeout = 90 * time.Second

// killAgent SIGKILLs slicelb-node (no chance to clean up: the kernel keeps whatever it programmed)
// and answers once the restarted agent's /readyz passes, i.e. its first sync against that state ran.
func killAgent(w http.ResponseWriter, _ *http.Request) {
	old := agent.get()
	if old == nil {
		http.Error(w, "slicelb-node is not running", http.StatusConflict)
		return
	}
	start := time.Now()
	if err := old.Signal(syscall.SIGKILL); err != nil {
		http.Error(w, fmt.Sprintf("SIGKILL %d: %v", old.Pid, err), http.StatusInternalServerError)
		return
	}
	hc := &http.Client{Timeout: time.Second}
	var started time.Duration
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", guestapi.AgentProbePort)
	for time.Since(start) < restartTimeout {
		// The old process's listener may answer until the kernel reaps it: only a new pid counts.
		if p := agent.get(); p != nil && p.Pid != old.Pid {
			if started == 0 {
				started = time.Since(start)
			}
			if resp, err := hc.Get(ready); err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					out := guestapi.AgentKill{KilledPID: old.Pid, RestartedPID: p.Pid, StartedMillis: started.Milliseconds(), DownMillis: time.Since(start).Milliseconds()}
					w.Header().Set("Content-Type", "application/json")
					_ = json.NewEncoder(w).Encode(out)
					return
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	http.Error(w, fmt.Sprintf("slicelb-node not ready %v after SIGKILL of %d", restartTimeout, old.Pid), http.StatusGatewayTimeout)
}

// agentMetrics relays the running agent's Prometheus text.
func agentMetrics(w http.ResponseWriter, _ *http.Request) {
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", guestapi.AgentMetricsPort))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		http.Error(w, fmt.Sprintf("agent /metrics: HTTP %d", resp.StatusCode), http.StatusBadGateway)
		return
	}
	_, _ = io.Copy(w, resp.Body)
}
