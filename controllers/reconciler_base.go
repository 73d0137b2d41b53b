package controllers

import (
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reconcilerBase is what the Endpoints, EndpointSlice and mirroring reconcilers share: where they
// read and write, their event recorder and options, and the per-controller write tracker (the
// stale-cache guard) and notice board (one warning per problem while it lasts).
type reconcilerBase struct {
	// Client writes; Reader reads (the manager's cache; defaults to Client).
	Client   client.Client
	Reader   client.Reader
	Recorder events.EventRecorder
	Options  Options

	tracker *WriteTracker
	notices *noticeBoard
}

// newReconcilerBase reads from the manager's cache, writes through its client and records events
// as component.
func newReconcilerBase(mgr ctrl.Manager, opts Options, component string) reconcilerBase {
	return reconcilerBase{
		Client: mgr.GetClient(), Reader: NewCacheReader(mgr.GetCache()), Options: opts,
		Recorder: mgr.GetEventRecorder(component),
	}
}

// init fills what a reconciler built as a literal (tests) left empty; it is idempotent.
func (r *reconcilerBase) init() {
	if r.Reader == nil {
		r.Reader = r.Client
	}
	if r.tracker == nil {
		r.tracker = NewWriteTracker()
	}
	if r.notices == nil {
		r.notices = newNoticeBoard(r.Recorder)
	}
}
