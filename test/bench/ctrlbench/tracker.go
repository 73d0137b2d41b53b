package ctrlbench

import (
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Expect is what one Service's EndpointSlices (all of them, whoever manages them) and, when
// Endpoints is set, its Endpoints object must hold: so many ready and not-ready addresses.
type Expect struct {
	Ready, NotReady int
	Endpoints       bool
}

// sliceAddrs are the addresses one EndpointSlice holds, by readiness.
type sliceAddrs struct{ ready, notReady []string }

// Tracker keeps, from watch events, whether each Service's objects match its expectation, when the
// whole set last became matching, and when each watched address was first seen not ready.
type Tracker struct {
	mu        sync.Mutex
	expect    map[string]Expect
	slices    map[string]map[string]sliceAddrs // Service -> slice name -> addresses
	endpoints map[string][2]int                // Service -> ready, not-ready addresses
	ok        map[string]bool                  // target ("s/NAME" or "e/NAME") -> matches
	okCount   int
	targets   int
	allOKAt   time.Time            // when okCount last reached targets; zero while not all match
	watch     map[string]time.Time // address -> when it was first seen not ready
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker {
	return &Tracker{expect: map[string]Expect{}, slices: map[string]map[string]sliceAddrs{},
		endpoints: map[string][2]int{}, ok: map[string]bool{}, watch: map[string]time.Time{}}
}

// SetExpect replaces the expectations (one per Service) and re-evaluates every Service.
func (t *Tracker) SetExpect(expect map[string]Expect) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expect = expect
	t.ok, t.okCount, t.targets, t.allOKAt = map[string]bool{}, 0, 0, time.Time{}
	for _, e := range expect {
		t.targets++
		if e.Endpoints {
			t.targets++
		}
	}
	now := time.Now()
	for name := range expect {
		t.evalLocked(name, now)
	}
	if t.okCount == t.targets {
		t.allOKAt = now
	}
}

// Progress returns how many targets match and how many there are, and when all started to match.
func (t *Tracker) Progress() (ok, targets int, allOKAt time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.okCount, t.targets, t.allOKAt
}

// SeenNotReady returns when each address was first seen not ready in a slice.
func (t *Tracker) SeenNotReady() map[string]time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]time.Time, len(t.watch))
	for k, v := range t.watch {
		out[k] = v
	}
	return out
}

// OnSlice records slice (nil when deleted) under its Service.
func (t *Tracker) OnSlice(name, svc string, slice *discoveryv1.EndpointSlice) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if svc == "" {
		return
	}
	if t.slices[svc] == nil {
		t.slices[svc] = map[string]sliceAddrs{}
	}
	if slice == nil {
		delete(t.slices[svc], name)
	} else {
		var a sliceAddrs
		for _, ep := range slice.Endpoints {
			ready := ep.Conditions.Ready == nil || *ep.Conditions.Ready
			for _, addr := range ep.Addresses {
				if ready {
					a.ready = append(a.ready, addr)
					continue
				}
				a.notReady = append(a.notReady, addr)
				if _, seen := t.watch[addr]; !seen {
					t.watch[addr] = now
				}
			}
		}
		t.slices[svc][name] = a
	}
	t.evalLocked(svc, now)
}

// OnEndpoints records an Endpoints object (nil when deleted).
func (t *Tracker) OnEndpoints(svc string, ep *corev1.Endpoints) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if ep == nil {
		delete(t.endpoints, svc)
	} else {
		var c [2]int
		for _, s := range ep.Subsets {
			c[0] += len(s.Addresses)
			c[1] += len(s.NotReadyAddresses)
		}
		t.endpoints[svc] = c
	}
	t.evalLocked(svc, now)
}

func (t *Tracker) evalLocked(svc string, now time.Time) {
	e, ok := t.expect[svc]
	if !ok {
		return
	}
	ready, notReady := map[string]bool{}, map[string]bool{}
	for _, a := range t.slices[svc] {
		for _, x := range a.ready {
			ready[x] = true
		}
		for _, x := range a.notReady {
			notReady[x] = true
		}
	}
	t.setLocked("s/"+svc, len(ready) == e.Ready && len(notReady) == e.NotReady, now)
	if e.Endpoints {
		c, has := t.endpoints[svc]
		t.setLocked("e/"+svc, has && c[0] == e.Ready && c[1] == e.NotReady, now)
	}
}

func (t *Tracker) setLocked(target string, ok bool, now time.Time) {
	if t.ok[target] == ok {
		return
	}
	t.ok[target] = ok
	if ok {
		t.okCount++
	} else {
		t.okCount--
	}
	if t.okCount == t.targets {
		t.allOKAt = now
	} else {
		t.allOKAt = time.Time{}
	}
}

// Percentile returns the p-th percentile (0..100, nearest rank) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// ResetSeen forgets the not-ready sightings (before a phase that measures them).
func (t *Tracker) ResetSeen() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.watch = map[string]time.Time{}
}
