package controllers

import (
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// Event reasons of the reconcilers. The planner's problem reasons
// (endpoints.ReasonPortNotFound, ReasonInvalidIPAddress, ReasonTooManyAddresses) are
// used as they come.
const (
	// ReasonFailedToUpdateEndpointSlices is upstream's reason for a failed slice write.
	ReasonFailedToUpdateEndpointSlices = "FailedToUpdateEndpointSlices"
	// ReasonFailedToUpdateEndpoint is upstream's reason for a failed Endpoints write.
	ReasonFailedToUpdateEndpoint = "FailedToUpdateEndpoint"
	// ReasonForeignEndpoints: the Endpoints object of a selector Service is managed by
	// another writer (its endpoints.kubernetes.io/managed-by is not ours); it is left alone.
	ReasonForeignEndpoints = "ForeignEndpoints"
	// ReasonRemovedOrphans: the Service lost its selector or became ExternalName and the
	// objects this controller had derived for it were removed.
	ReasonRemovedOrphans = "RemovedOrphanedEndpoints"
)

// notice is one Warning the controller wants a user to see.
type notice struct{ key, reason, message string }

// noticeBoard emits each notice of a Service once, while it holds: a resync that finds the
// same problems must not write the same Event again (no-op is free), while a problem that
// went away and came back is reported again.
type noticeBoard struct {
	recorder events.EventRecorder
	mu       sync.Mutex
	shown    map[topicKey]map[string]bool
}

// topicKey separates the kinds of notices of one Service (planner problems, foreign
// Endpoints), each replaced as a whole on every post.
type topicKey struct {
	svc   types.NamespacedName
	topic string
}

// Notice topics.
const (
	topicProblems = "problems"
	topicForeign  = "foreign"
)

func newNoticeBoard(recorder events.EventRecorder) *noticeBoard {
	return &noticeBoard{recorder: recorder, shown: map[topicKey]map[string]bool{}}
}

// post emits the notices of the topic not shown at its previous post for svc, and
// remembers the set.
func (b *noticeBoard) post(svc types.NamespacedName, topic string, regarding runtime.Object, notices []notice) {
	b.mu.Lock()
	defer b.mu.Unlock()
	key := topicKey{svc: svc, topic: topic}
	now := make(map[string]bool, len(notices))
	for _, n := range notices {
		now[n.key] = true
		if !b.shown[key][n.key] && regarding != nil {
			b.recorder.Eventf(regarding, nil, corev1.EventTypeWarning, n.reason, "Sync", "%s", n.message)
		}
	}
	if len(now) == 0 {
		delete(b.shown, key)
		return
	}
	b.shown[key] = now
}

// forget drops what was shown for svc.
func (b *noticeBoard) forget(svc types.NamespacedName) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for key := range b.shown {
		if key.svc == svc {
			delete(b.shown, key)
		}
	}
}

// problemNotices turns the planner's problems into notices, one per reason and Service
// port. events.k8s.io/v1 aggregates events by regarding object, reason and action, not
// by note, so one event per pod would collapse into a series that shows only the first
// pod; one event naming the pods (up to maxNamedPods) says it all. The notice key is the
// reason and port only: a later event with another pod list would join the same series
// and keep the first note anyway, so it is one write for nothing. The event is emitted
// again once the problem has gone and come back.
func problemNotices(problems []endpoints.Problem) []notice {
	type group struct {
		first endpoints.Problem
		pods  []string
	}
	var order []string
	groups := map[string]*group{}
	for _, p := range problems {
		k := p.Reason + "/" + p.Port
		if groups[k] == nil {
			groups[k] = &group{first: p}
			order = append(order, k)
		}
		groups[k].pods = append(groups[k].pods, p.Pod)
	}
	out := make([]notice, 0, len(order))
	for _, k := range order {
		g := groups[k]
		msg := g.first.Message
		if more := g.pods[1:]; len(more) > 0 {
			named := more[:min(len(more), maxNamedPods)]
			msg += fmt.Sprintf(" (and %d more pods: %s", len(more), strings.Join(named, ", "))
			if len(more) > len(named) {
				msg += ", ..."
			}
			msg += ")"
		}
		out = append(out, notice{key: k, reason: g.first.Reason, message: msg})
	}
	return out
}

// maxNamedPods bounds the pod names listed in one event.
const maxNamedPods = 10

// warn emits a Warning event right away (failures are reported on every occurrence).
func warn(recorder events.EventRecorder, regarding runtime.Object, reason string, err error) {
	recorder.Eventf(regarding, nil, corev1.EventTypeWarning, reason, "Sync", "%v", err)
}
