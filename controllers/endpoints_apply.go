package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// write creates or updates the Endpoints object when its content differs from the
// desired one (never for a trigger-time-only difference), and records the write in the
// stale-cache tracker.
func (r *EndpointsReconciler) write(ctx context.Context, svc *corev1.Service, existing, desired *corev1.Endpoints) error {
	obj, changed := endpoints.MergeEndpoints(existing, desired)
	if !changed {
		return nil
	}
	key := client.ObjectKeyFromObject(svc)
	var err error
	if existing == nil {
		err = r.Client.Create(ctx, obj)
		if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil // the namespace is going away with the Service
		}
		if err == nil {
			r.tracker.Created(key, obj.Name)
			endpointsChanges.WithLabelValues(operationCreate).Inc()
		}
	} else {
		err = r.Client.Update(ctx, obj)
		if err == nil {
			r.tracker.Updated(key, obj.Name, existing.ResourceVersion)
			endpointsChanges.WithLabelValues(operationUpdate).Inc()
		}
	}
	if err != nil {
		warn(r.Recorder, svc, ReasonFailedToUpdateEndpoint, fmt.Errorf("failed to write Endpoints %s: %w", key, err))
		return err
	}
	log.FromContext(ctx).V(1).Info("Wrote Endpoints", "endpoints", key, "created", existing == nil)
	return nil
}

// removeOurs deletes the Endpoints object when it carries our managed-by label: the
// Service was deleted, lost its selector or became ExternalName. Upstream deletes the
// Endpoints of a deleted Service whoever wrote it, and leaves them behind in the other two
// cases (kubernetes#91072); slicelb removes exactly what it wrote, in all three.
func (r *EndpointsReconciler) removeOurs(ctx context.Context, svc *corev1.Service, existing *corev1.Endpoints) error {
	if existing == nil || existing.Labels[endpoints.LabelEndpointsManagedBy] != endpoints.ManagedByValue {
		return nil
	}
	key := client.ObjectKeyFromObject(existing)
	err := r.Client.Delete(ctx, existing, client.Preconditions{UID: &existing.UID, ResourceVersion: &existing.ResourceVersion})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	r.tracker.Deleted(key, existing.Name, existing.ResourceVersion)
	endpointsChanges.WithLabelValues(operationDelete).Inc()
	if svc != nil {
		ownedObjectsRemoved.WithLabelValues("Endpoints").Inc()
		r.Recorder.Eventf(svc, nil, corev1.EventTypeNormal, ReasonRemovedOrphans, "Sync",
			"Removed Endpoints %s written by %s: the Service no longer selects pods", key, endpoints.ManagedByValue)
	}
	log.FromContext(ctx).V(1).Info("Deleted Endpoints", "endpoints", key)
	return nil
}

// foreignManager reports the managed-by of an Endpoints object another controller writes:
// the label is present and not ours. An Endpoints object without the label is adopted,
// as upstream's endpoints-controller adopts it (it is what a pre-existing cluster holds
// for selector Services); a selectorless Service's Endpoints never gets here.
func foreignManager(ep *corev1.Endpoints) (string, bool) {
	if ep == nil {
		return "", false
	}
	v, ok := ep.Labels[endpoints.LabelEndpointsManagedBy]
	return v, ok && v != endpoints.ManagedByValue
}

// skipForeign leaves another writer's Endpoints alone, with a Warning (once while it
// lasts) and a metric (every sync), instead of a write fight.
func (r *EndpointsReconciler) skipForeign(svc *corev1.Service, ep *corev1.Endpoints) {
	manager, _ := foreignManager(ep)
	foreignEndpointsSkipped.Inc()
	r.notices.post(client.ObjectKeyFromObject(svc), topicForeign, svc, []notice{{
		key: "foreign/" + manager, reason: ReasonForeignEndpoints,
		message: fmt.Sprintf("Endpoints %s/%s is managed by %q, not %q; leaving it untouched",
			ep.Namespace, ep.Name, manager, endpoints.ManagedByValue),
	}})
}

// endpointsVersion is the stale-cache guard's view of the cached Endpoints object.
func endpointsVersion(ep *corev1.Endpoints) map[string]string {
	if ep == nil {
		return nil
	}
	return map[string]string{ep.Name: ep.ResourceVersion}
}

func recordEndpointsSync(err error) {
	if err != nil {
		endpointsSyncs.WithLabelValues(resultError).Inc()
		return
	}
	endpointsSyncs.WithLabelValues(resultSuccess).Inc()
}
