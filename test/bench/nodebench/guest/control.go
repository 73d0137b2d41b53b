//go:build linux

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/test/bench/nodebench/nbapi"
)

// control serves the host's requests; one agent runs at a time.
type control struct {
	cfg  nbapi.Config
	ipvs ipvs.Interface
	nl   *nlCounter

	mu      sync.Mutex
	running *agentRun
}

func (c *control) mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc(nbapi.PathHealthz, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	m.HandleFunc(nbapi.PathStart, c.start)
	m.HandleFunc(nbapi.PathWaitFull, c.waitFull)
	m.HandleFunc(nbapi.PathWaitReal, c.waitReal)
	m.HandleFunc(nbapi.PathMetrics, c.metrics)
	m.HandleFunc(nbapi.PathNetlink, c.netlink)
	m.HandleFunc(nbapi.PathStop, c.stop)
	m.HandleFunc(nbapi.PathCleanup, c.cleanup)
	return m
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (c *control) current(w http.ResponseWriter) *agentRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		http.Error(w, "no agent is running", http.StatusConflict)
	}
	return c.running
}

func (c *control) start(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("agent")
	args, ok := c.cfg.Args[name]
	if !ok {
		http.Error(w, "unknown agent "+name, http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running != nil {
		http.Error(w, "an agent is running: "+c.running.name, http.StatusConflict)
		return
	}
	a, err := startAgent(name, args)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	c.running = a
	reply(w, nbapi.Started{PID: a.cmd.Process.Pid})
}

// pollFull is how often waitFull reads the kernel: often enough for a figure of tens of seconds,
// rare enough not to compete with the agent for the guest's emulated CPUs.
const pollFull = 500 * time.Millisecond

// waitFull waits for Config.VirtualServers TCP virtual servers on Config.Port, each with
// Config.RealServers real servers of weight > 0. Real servers are read only once every virtual
// server exists, and a complete virtual server is not read again: a poll costs one dump until the
// last virtual server appears, then one more per incomplete virtual server.
func (c *control) waitFull(w http.ResponseWriter, r *http.Request) {
	a := c.current(w)
	if a == nil {
		return
	}
	timeout, _ := strconv.Atoi(r.URL.Query().Get("timeout"))
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)
	done := map[ipvs.VirtualServerKey]bool{}
	polls := 0
	for {
		polls++
		if err := c.pollFull(done); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if len(done) >= c.cfg.VirtualServers {
			reply(w, nbapi.Waited{Millis: float64(time.Since(a.started).Microseconds()) / 1000, Polls: polls})
			return
		}
		if err := a.exited(); err != nil {
			http.Error(w, fmt.Sprintf("%s exited before the table was full (%d of %d virtual servers complete): %v\n%s",
				a.name, len(done), c.cfg.VirtualServers, err, a.log.tail()), http.StatusInternalServerError)
			return
		}
		if time.Now().After(deadline) {
			http.Error(w, fmt.Sprintf("%s: %d of %d virtual servers complete after %ds\n%s",
				a.name, len(done), c.cfg.VirtualServers, timeout, a.log.tail()), http.StatusGatewayTimeout)
			return
		}
		time.Sleep(pollFull)
	}
}

func (c *control) pollFull(done map[ipvs.VirtualServerKey]bool) error {
	vss, err := c.ipvs.ListVirtualServers()
	if err != nil {
		return err
	}
	var ours []ipvs.VirtualServerKey
	for _, vs := range vss {
		if k := vs.Key(); k.Protocol == ipvs.TCP && k.Port == c.cfg.Port {
			ours = append(ours, k)
		}
	}
	if len(ours) < c.cfg.VirtualServers {
		return nil
	}
	for _, k := range ours {
		if done[k] {
			continue
		}
		rss, err := c.ipvs.ListRealServers(k)
		if err != nil {
			continue // deleted or replaced in between: read again next poll
		}
		if activeReal(rss) >= c.cfg.RealServers {
			done[k] = true
		}
	}
	return nil
}

func activeReal(rss []ipvs.RealServer) int {
	n := 0
	for _, rs := range rss {
		if rs.Weight > 0 {
			n++
		}
	}
	return n
}

// pollReal is how often waitReal reads the one virtual server: a single small dump.
const pollReal = 5 * time.Millisecond

func (c *control) waitReal(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	vip, err := netip.ParseAddr(r.URL.Query().Get("vip"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rs, err := netip.ParseAddrPort(r.URL.Query().Get("rs"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a := c.current(w)
	if a == nil {
		return
	}
	key := ipvs.VirtualServerKey{Address: vip, Protocol: ipvs.TCP, Port: c.cfg.Port}
	for polls := 1; ; polls++ {
		got, _ := c.ipvs.ListRealServers(key)
		for _, g := range got {
			if g.AddrPort() == rs && g.Weight > 0 {
				reply(w, nbapi.Waited{Millis: float64(time.Since(start).Microseconds()) / 1000, Polls: polls})
				return
			}
		}
		if err := a.exited(); err != nil {
			http.Error(w, fmt.Sprintf("%s exited: %v\n%s", a.name, err, a.log.tail()), http.StatusInternalServerError)
			return
		}
		if time.Since(start) > 5*time.Minute {
			http.Error(w, fmt.Sprintf("%s did not program %s under %s within 5 minutes", a.name, rs, key), http.StatusGatewayTimeout)
			return
		}
		time.Sleep(pollReal)
	}
}

func (c *control) metrics(w http.ResponseWriter, _ *http.Request) {
	a := c.current(w)
	if a == nil {
		return
	}
	port := nbapi.SlicelbMetricsPort
	if a.name == nbapi.KubeProxyName {
		port = nbapi.KubeProxyMetricsPort
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(w, resp.Body)
}

func (c *control) netlink(w http.ResponseWriter, r *http.Request) {
	if e := r.URL.Query().Get("enable"); e != "" {
		if err := c.nl.setEnabled(e == "1"); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	reply(w, c.nl.counts())
}

func (c *control) stop(w http.ResponseWriter, _ *http.Request) {
	a := c.current(w)
	if a == nil {
		return
	}
	out := a.stop()
	c.mu.Lock()
	c.running = nil
	c.mu.Unlock()
	reply(w, out)
}

func (c *control) cleanup(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("agent")
	args, ok := c.cfg.CleanupArgs[name]
	if !ok {
		http.Error(w, "unknown agent "+name, http.StatusBadRequest)
		return
	}
	cmd := exec.Command(binaryOf(name), args...)
	out, err := cmd.CombinedOutput()
	res := nbapi.Cleaned{Output: tailLines(string(out), 30)}
	if err != nil {
		res.Err = err.Error()
	}
	vss, lerr := c.ipvs.ListVirtualServers()
	if lerr != nil {
		res.Err = errors.Join(err, lerr).Error()
	}
	res.VirtualServersLeft = len(vss)
	if r.URL.Query().Get("flush") == "1" && (len(vss) > 0 || err != nil) {
		// The next agent must start from an empty node, as on a fresh one: what the cleanup
		// command left is removed here (and said so in the report).
		res.Flushed = flush(c.ipvs, vss)
	}
	reply(w, res)
}

// flush deletes the virtual servers and kube-proxy's dummy device (with every ClusterIP bound
// to it); it returns what it did.
func flush(h ipvs.Interface, vss []ipvs.VirtualServer) string {
	var errs []error
	for _, vs := range vss {
		if err := h.DeleteVirtualServer(vs.Key()); err != nil {
			errs = append(errs, err)
		}
	}
	out := fmt.Sprintf("deleted %d virtual servers", len(vss))
	if l, err := netlink.LinkByName("kube-ipvs0"); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			errs = append(errs, err)
		} else {
			out += " and the kube-ipvs0 device"
		}
	}
	if len(errs) > 0 {
		out += fmt.Sprintf(" (errors: %v)", errors.Join(errs...))
	}
	return out
}

func binaryOf(name string) string {
	if name == nbapi.KubeProxyName {
		return nbapi.KubeProxy
	}
	return nbapi.SlicelbNode
}

// agentRun is one agent process.
type agentRun struct {
	name    string
	cmd     *exec.Cmd
	started time.Time
	log     *ring
	done    chan struct{}
	waitErr error
}

func startAgent(name string, args []string) (*agentRun, error) {
	bin := binaryOf(name)
	a := &agentRun{name: name, log: &ring{max: 60}, done: make(chan struct{})}
	a.cmd = exec.Command(bin, args...)
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	a.started = time.Now()
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	fmt.Printf("slicelb-nodebench: started %s (pid %d)\n", name, a.cmd.Process.Pid)
	go func() {
		a.waitErr = a.cmd.Wait()
		close(a.done)
	}()
	return a, nil
}

func (a *agentRun) exited() error {
	select {
	case <-a.done:
		if a.waitErr == nil {
			return errors.New("exit status 0")
		}
		return a.waitErr
	default:
		return nil
	}
}

// stop reads the agent's peak RSS, then SIGTERMs it (SIGKILL after 30 s).
func (a *agentRun) stop() nbapi.Stopped {
	var out nbapi.Stopped
	pid := a.cmd.Process.Pid
	{
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			out.PeakRSSKiB = nbapi.VmHWM(string(b))
		}
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	select {
	case <-a.done:
	case <-time.After(30 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.done
	}
	out.Exit = fmt.Sprint(a.waitErr)
	out.LogTail = a.log.tail()
	return out
}

// ring keeps the agent's last output lines (for the report's error text) and copies every line to
// the console, prefixed with the agent's name.
type ring struct {
	mu      sync.Mutex
	max     int
	lines   []string
	partial string
}

func (r *ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.partial + string(p)
	parts := strings.Split(s, "\n")
	r.partial = parts[len(parts)-1]
	for _, l := range parts[:len(parts)-1] {
		fmt.Println("agent| " + l)
		r.lines = append(r.lines, l)
		if len(r.lines) > r.max {
			r.lines = r.lines[len(r.lines)-r.max:]
		}
	}
	return len(p), nil
}

func (r *ring) tail() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(append(append([]string(nil), r.lines...), r.partial), "\n")
}

func tailLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
