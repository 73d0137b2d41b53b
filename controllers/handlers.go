package controllers

import (
	"context"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/slicelb/slicelb/internal/podview"
)

// zoneLabel is the Node label the EndpointSlice zone field is taken from.
const zoneLabel = corev1.LabelTopologyZone

type queue = workqueue.TypedRateLimitingInterface[ctrl.Request]

// enqueue adds the Services after the batch period. Upstream's
// --endpoint-updates-batch-period works the same way: the delaying queue keeps the
// earliest due time of a key, so every pod event within the period joins one sync.
func enqueue(q queue, batch time.Duration, keys []types.NamespacedName) {
	for _, key := range keys {
		if batch > 0 {
			q.AddAfter(ctrl.Request{NamespacedName: key}, batch)
		} else {
			q.Add(ctrl.Request{NamespacedName: key})
		}
	}
}

// podHandler (events carry the cache's podview.Views) enqueues the Services selecting a pod when the pod changed in a way that can
// change an endpoint; an update that relabels the pod enqueues its old and new Services.
func podHandler(m serviceMapper, batch time.Duration) handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q queue) {
			enqueue(q, batch, m.servicesForPod(ctx, e.Object))
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q queue) {
			oldPod, newPod := podview.ViewOf(e.ObjectOld), podview.ViewOf(e.ObjectNew)
			if oldPod == nil || newPod == nil || !podview.EndpointChanged(oldPod, newPod) {
				return
			}
			enqueue(q, batch, m.servicesForPod(ctx, e.ObjectNew))
			if !labelsEqual(oldPod.Labels, newPod.Labels) {
				enqueue(q, batch, m.servicesForPod(ctx, e.ObjectOld))
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q queue) {
			enqueue(q, batch, m.servicesForPod(ctx, e.Object))
		},
	}
}

// nodeHandler re-enqueues the Services with pods on a Node when the Node's zone changes
// (a new Node only matters when it arrives with a zone): nothing else of a Node is
// published, and Node status updates are frequent.
func nodeHandler(m serviceMapper, batch time.Duration) handler.EventHandler {
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q queue) {
			if e.Object.GetLabels()[zoneLabel] != "" {
				enqueue(q, batch, m.servicesForNode(ctx, e.Object.GetName()))
			}
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q queue) {
			if e.ObjectOld.GetLabels()[zoneLabel] != e.ObjectNew.GetLabels()[zoneLabel] {
				enqueue(q, batch, m.servicesForNode(ctx, e.ObjectNew.GetName()))
			}
		},
	}
}

func labelsEqual(a, b map[string]string) bool { return maps.Equal(a, b) }
