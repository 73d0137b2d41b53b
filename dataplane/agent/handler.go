package agent

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
)

// dirtyHandler is the agent's informer event handler: events only mark the state dirty (the
// runner coalesces them into one sync), they are never processed one by one.
type dirtyHandler struct {
	trigger func()
}

// OnAdd implements cache.ResourceEventHandler.
func (h dirtyHandler) OnAdd(any, bool) { h.trigger() }

// OnDelete implements cache.ResourceEventHandler.
func (h dirtyHandler) OnDelete(any) { h.trigger() }

// OnUpdate implements cache.ResourceEventHandler. Updates that cannot change the data path are
// dropped: informer resyncs (same resourceVersion) and Node updates that keep the addresses and
// labels (kubelet status heartbeats would otherwise cause a sync per node every few minutes).
func (h dirtyHandler) OnUpdate(oldObj, newObj any) {
	if !relevantUpdate(oldObj, newObj) {
		return
	}
	h.trigger()
}

func relevantUpdate(oldObj, newObj any) bool {
	om, err1 := meta.Accessor(oldObj)
	nm, err2 := meta.Accessor(newObj)
	if err1 != nil || err2 != nil {
		return true
	}
	if om.GetResourceVersion() == nm.GetResourceVersion() {
		return false
	}
	on, ok1 := oldObj.(*corev1.Node)
	nn, ok2 := newObj.(*corev1.Node)
	if ok1 && ok2 {
		return !slices.Equal(on.Status.Addresses, nn.Status.Addresses) ||
			!equality.Semantic.DeepEqual(on.Labels, nn.Labels)
	}
	return true
}
