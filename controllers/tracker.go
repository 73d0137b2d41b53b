package controllers

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// expectationTTL bounds how long an unobserved write blocks a Service. A write that
// the cache never shows (another writer deleted the object before our informer saw it)
// must not wedge the Service forever; after this long the expectation is dropped and
// the next reconcile plans from whatever the cache holds.
const expectationTTL = 2 * time.Minute

// expectation is one write of ours the cache has to show before we trust it again.
type expectation struct {
	// created: the cache is stale until it lists the object.
	created bool
	// supersededRV is the resourceVersion our update or delete replaced; the cache is
	// stale while it still shows that version. Equality is all that is compared:
	// resourceVersions are opaque and must not be ordered (API conventions).
	supersededRV string
	at           time.Time
}

// WriteTracker remembers, per Service, the writes this controller made that its informer
// cache has not observed yet. It is the controller's guard against planning from a cache
// older than its own last write, the failure upstream's endpointSliceTracker and
// staleEndpointsTracker exist for (kubernetes#92928, #114848): writing from such a cache
// either conflicts or, worse, resurrects state that was already replaced.
type WriteTracker struct {
	mu    sync.Mutex
	now   func() time.Time
	bySvc map[types.NamespacedName]map[string]expectation
}

// NewWriteTracker returns an empty tracker.
func NewWriteTracker() *WriteTracker {
	return &WriteTracker{now: time.Now, bySvc: map[types.NamespacedName]map[string]expectation{}}
}

func (t *WriteTracker) expect(svc types.NamespacedName, name string, e expectation) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e.at = t.now()
	if t.bySvc[svc] == nil {
		t.bySvc[svc] = map[string]expectation{}
	}
	t.bySvc[svc][name] = e
}

// Created records that the object name (owned by the Service svc) was created.
func (t *WriteTracker) Created(svc types.NamespacedName, name string) {
	t.expect(svc, name, expectation{created: true})
}

// Updated records that the object name was updated from resourceVersion oldRV.
func (t *WriteTracker) Updated(svc types.NamespacedName, name, oldRV string) {
	t.expect(svc, name, expectation{supersededRV: oldRV})
}

// Deleted records that the object name, last seen at resourceVersion oldRV, was deleted.
func (t *WriteTracker) Deleted(svc types.NamespacedName, name, oldRV string) {
	t.expect(svc, name, expectation{supersededRV: oldRV})
}

// Stale reports whether the cached objects of svc (name → resourceVersion) lag behind a
// write of ours. Expectations the cache has met, or that expired, are forgotten.
func (t *WriteTracker) Stale(svc types.NamespacedName, cached map[string]string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	stale := false
	for name, e := range t.bySvc[svc] {
		rv, present := cached[name]
		lagging := (e.created && !present) || (!e.created && present && rv == e.supersededRV)
		if lagging && t.now().Sub(e.at) < expectationTTL {
			stale = true
			continue
		}
		delete(t.bySvc[svc], name)
	}
	if len(t.bySvc[svc]) == 0 {
		delete(t.bySvc, svc)
	}
	return stale
}

// Forget drops every expectation of svc (the Service is gone and so are its objects).
func (t *WriteTracker) Forget(svc types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.bySvc, svc)
}
