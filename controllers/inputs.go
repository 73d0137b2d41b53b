package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// staleRequeueDelay is how long a sync whose cache lags our own write waits before it
// looks again; the informer event of that write usually enqueues it sooner.
const staleRequeueDelay = 200 * time.Millisecond

// staleResult requeues a sync postponed by the stale-cache guard.
func staleResult(controller string) ctrl.Result {
	staleCacheRequeues.WithLabelValues(controller).Inc()
	return ctrl.Result{RequeueAfter: staleRequeueDelay}
}

// getService returns the Service from the cache, nil when it does not exist.
func getService(ctx context.Context, r client.Reader, key types.NamespacedName) (*corev1.Service, error) {
	svc := &corev1.Service{}
	if err := r.Get(ctx, key, svc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return svc, nil
}

// getEndpoints returns the Endpoints object from the cache, nil when it does not exist.
func getEndpoints(ctx context.Context, r client.Reader, key types.NamespacedName) (*corev1.Endpoints, error) {
	ep := &corev1.Endpoints{}
	if err := r.Get(ctx, key, ep); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return ep, nil
}

// selectsPods reports whether the controller derives endpoints for the Service: it has a
// selector and is not ExternalName (upstream skips both; their Endpoints are the user's).
func selectsPods(svc *corev1.Service) bool {
	return svc != nil && len(svc.Spec.Selector) > 0 && svc.Spec.Type != corev1.ServiceTypeExternalName
}

// listPods returns the pods the Service selects, from the cache: the pods carrying the
// selector's first term (pod label index), filtered by the whole selector. The pods are
// the cache's own (no deep copy, the cache is configured so for Pods): read them, never
// change them.
func listPods(ctx context.Context, r client.Reader, svc *corev1.Service) ([]*corev1.Pod, error) {
	var list corev1.PodList
	if err := r.List(ctx, &list, client.InNamespace(svc.Namespace),
		client.MatchingFields{IndexPodLabel: firstSelectorTerm(svc.Spec.Selector)},
		client.MatchingLabelsSelector{Selector: labels.SelectorFromValidatedSet(svc.Spec.Selector)},
		client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	pods := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		pods[i] = &list.Items[i]
	}
	return pods, nil
}

// listNodes returns the Nodes the pods run on, by name (zones for the slices); a Node
// missing from the cache is simply absent.
func listNodes(ctx context.Context, r client.Reader, pods []*corev1.Pod) (map[string]*corev1.Node, error) {
	nodes := map[string]*corev1.Node{}
	for _, pod := range pods {
		name := pod.Spec.NodeName
		if name == "" || nodes[name] != nil {
			continue
		}
		node := &corev1.Node{}
		if err := r.Get(ctx, types.NamespacedName{Name: name}, node); err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		nodes[name] = node
	}
	return nodes, nil
}

// listSlices returns every EndpointSlice labelled with the Service's name (any
// managed-by: the planners ignore the ones that are not theirs), via the slice index.
func listSlices(ctx context.Context, r client.Reader, key types.NamespacedName) ([]*discoveryv1.EndpointSlice, error) {
	var list discoveryv1.EndpointSliceList
	if err := r.List(ctx, &list, client.InNamespace(key.Namespace),
		client.MatchingFields{IndexSliceService: key.Name}); err != nil {
		return nil, err
	}
	out := make([]*discoveryv1.EndpointSlice, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// versionsOf maps the names of the slices with the given managed-by to their
// resourceVersions, the view the stale-cache guard compares with our writes.
func versionsOf(slices []*discoveryv1.EndpointSlice, managedBy string) map[string]string {
	out := map[string]string{}
	for _, s := range slices {
		if s.Labels[discoveryv1.LabelManagedBy] == managedBy {
			out[s.Name] = s.ResourceVersion
		}
	}
	return out
}

// triggerTime is the last change among the Service and its pods (creation, deletion,
// Ready transition): the value of endpoints.kubernetes.io/last-change-trigger-time.
// It is derived from the inputs only, so an unchanged input set yields the same time.
func triggerTime(svc *corev1.Service, pods []*corev1.Pod) time.Time {
	latest := svc.CreationTimestamp.Time
	later := func(t time.Time) {
		if t.After(latest) {
			latest = t
		}
	}
	for _, pod := range pods {
		later(pod.CreationTimestamp.Time)
		if pod.DeletionTimestamp != nil {
			// deletionTimestamp is when the grace period ends; the change happened when
			// the deletion was requested.
			requested := pod.DeletionTimestamp.Time
			if g := pod.DeletionGracePeriodSeconds; g != nil {
				requested = requested.Add(-time.Duration(*g) * time.Second)
			}
			later(requested)
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodReady {
				later(c.LastTransitionTime.Time)
			}
		}
	}
	return latest
}
