package ipvs

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Method names one Interface method, for the Fake's counters and error
// injection.
type Method string

// The Interface methods.
const (
	MethodListVirtualServers  Method = "ListVirtualServers"
	MethodAddVirtualServer    Method = "AddVirtualServer"
	MethodUpdateVirtualServer Method = "UpdateVirtualServer"
	MethodDeleteVirtualServer Method = "DeleteVirtualServer"
	MethodListRealServers     Method = "ListRealServers"
	MethodAddRealServer       Method = "AddRealServer"
	MethodUpdateRealServer    Method = "UpdateRealServer"
	MethodDeleteRealServer    Method = "DeleteRealServer"
)

// IsWrite reports whether m changes kernel state.
func (m Method) IsWrite() bool {
	return m != MethodListVirtualServers && m != MethodListRealServers
}

var _ Interface = (*Fake)(nil)

// Fake is an in-memory IPVS that behaves like the kernel for everything
// slicelb uses (ErrExists / ErrNotFound, address family checks, scheduler
// validation, counters kept across weight updates). It counts calls so tests
// can assert that a no-op sync makes zero writes, and fails calls on demand.
// It is safe for concurrent use.
type Fake struct {
	mu       sync.Mutex
	services map[VirtualServerKey]*fakeService
	calls    map[Method]int
	// failedAt is when each injected failure happened, per method: timing assertions read
	// the moment of the call itself, not when a poller got round to noticing it.
	failedAt map[Method][]time.Time
	failures map[Method]*injected
}

type fakeService struct {
	vs  VirtualServer
	rss map[netip.AddrPort]RealServer
}

type injected struct {
	err error
	n   int // remaining failures; < 0 = until cleared
}

// NewFake returns an empty fake kernel.
func NewFake() *Fake {
	return &Fake{
		services: map[VirtualServerKey]*fakeService{},
		calls:    map[Method]int{},
		failedAt: map[Method][]time.Time{},
		failures: map[Method]*injected{},
	}
}

// FailureTimes returns when the injected failures of m happened, oldest first.
func (f *Fake) FailureTimes(m Method) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.failedAt[m]...)
}

// Writes returns the number of write calls (Add/Update/Delete, failed ones
// included) since the last ResetCounters.
func (f *Fake) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for m, c := range f.calls {
		if m.IsWrite() {
			n += c
		}
	}
	return n
}

// Reads returns the number of List calls since the last ResetCounters.
func (f *Fake) Reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[MethodListVirtualServers] + f.calls[MethodListRealServers]
}

// Calls returns how often m was called since the last ResetCounters.
func (f *Fake) Calls(m Method) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[m]
}

// ResetCounters zeroes the call counters.
func (f *Fake) ResetCounters() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = map[Method]int{}
	f.failedAt = map[Method][]time.Time{}
}

// FailNext makes the next n calls of m return err without changing state;
// n < 0 fails every call until ClearFailures.
func (f *Fake) FailNext(m Method, err error, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[m] = &injected{err: err, n: n}
}

// ClearFailures removes every injected failure.
func (f *Fake) ClearFailures() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = map[Method]*injected{}
}

// SetConnections sets the connection counters of a real server, as traffic
// would.
func (f *Fake) SetConnections(vs VirtualServerKey, rs netip.AddrPort, active, inactive int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.services[vs]
	if !ok {
		return fmt.Errorf("virtual server %s: %w", vs, ErrNotFound)
	}
	r, ok := s.rss[rs]
	if !ok {
		return fmt.Errorf("real server %s of %s: %w", rs, vs, ErrNotFound)
	}
	r.ActiveConns, r.InactiveConns = active, inactive
	s.rss[rs] = r
	return nil
}

// Load replaces the whole state with t (for example a kernel left behind by a
// previous agent, or someone else's virtual servers). It is not counted.
func (f *Fake) Load(t Table) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.services = map[VirtualServerKey]*fakeService{}
	for _, e := range t {
		s := &fakeService{vs: e.VirtualServer, rss: map[netip.AddrPort]RealServer{}}
		for _, rs := range e.RealServers {
			s.rss[rs.AddrPort()] = rs
		}
		f.services[e.VirtualServer.Key()] = s
	}
}

// State returns the whole state: every virtual server with all its real
// servers, sorted. It is not counted.
func (f *Fake) State() Table {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := make(Table, 0, len(f.services))
	for _, s := range f.services {
		e := Entry{VirtualServer: s.vs, RealServers: make([]RealServer, 0, len(s.rss))}
		for _, rs := range s.rss {
			e.RealServers = append(e.RealServers, rs)
		}
		SortRealServers(e.RealServers)
		t = append(t, e)
	}
	t.Sort()
	return t
}

// begin counts a call of m and returns its injected failure, if any. The
// caller holds f.mu.
func (f *Fake) begin(m Method) error {
	f.calls[m]++
	inj, ok := f.failures[m]
	if !ok {
		return nil
	}
	if inj.n > 0 {
		inj.n--
		if inj.n == 0 {
			delete(f.failures, m)
		}
	}
	f.failedAt[m] = append(f.failedAt[m], time.Now())
	return fmt.Errorf("%s (injected): %w", m, inj.err)
}
