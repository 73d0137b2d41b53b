package controllers

import (
	"context"
	"fmt"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// sliceWriter applies a slice plan for the EndpointSlice and the mirroring controllers.
type sliceWriter struct {
	client   client.Client
	tracker  *WriteTracker
	metrics  *syncMetrics
	recorder events.EventRecorder
}

// apply writes the plan in upstream's order — creates, then updates, then deletes — so a
// Service never goes through a moment with fewer endpoints than before or after; every
// write is recorded in the tracker before the next one. A failure stops the plan (the
// next sync replans from the cache) and is reported on the regarding object.
func (w sliceWriter) apply(ctx context.Context, svc types.NamespacedName, regarding runtime.Object, plan endpoints.SlicePlan) error {
	err := w.write(ctx, svc, plan)
	if err != nil && regarding != nil {
		warn(w.recorder, regarding, ReasonFailedToUpdateEndpointSlices,
			fmt.Errorf("error updating EndpointSlices for Service %s: %w", svc, err))
	}
	return err
}

func (w sliceWriter) write(ctx context.Context, svc types.NamespacedName, plan endpoints.SlicePlan) error {
	logger := log.FromContext(ctx)
	for _, s := range plan.Create {
		if err := w.client.Create(ctx, s); err != nil {
			// A namespace being deleted refuses new objects; nothing to publish there.
			if apierrors.HasStatusCause(err, "NamespaceTerminating") {
				return nil
			}
			return err
		}
		w.tracker.Created(svc, s.Name)
		w.metrics.changes.WithLabelValues(operationCreate).Inc()
		logger.V(1).Info("Created EndpointSlice", "endpointSlice", s.Name, "endpoints", len(s.Endpoints))
	}
	for _, s := range plan.Update {
		oldRV := s.ResourceVersion
		if err := w.client.Update(ctx, s); err != nil {
			return err
		}
		w.tracker.Updated(svc, s.Name, oldRV)
		w.metrics.changes.WithLabelValues(operationUpdate).Inc()
		logger.V(1).Info("Updated EndpointSlice", "endpointSlice", s.Name, "endpoints", len(s.Endpoints))
	}
	for _, s := range plan.Delete {
		err := w.client.Delete(ctx, s, client.Preconditions{UID: &s.UID, ResourceVersion: &s.ResourceVersion})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		w.tracker.Deleted(svc, s.Name, s.ResourceVersion)
		w.metrics.changes.WithLabelValues(operationDelete).Inc()
		logger.V(1).Info("Deleted EndpointSlice", "endpointSlice", s.Name)
	}
	return nil
}

// deleteAllPlan is the plan that removes every slice carrying managedBy.
func deleteAllPlan(existing []*discoveryv1.EndpointSlice, managedBy string) endpoints.SlicePlan {
	var plan endpoints.SlicePlan
	for _, s := range existing {
		if s.Labels[discoveryv1.LabelManagedBy] == managedBy {
			plan.Delete = append(plan.Delete, s)
		}
	}
	return plan
}

// recordSync records the outcome of a slice sync: the changes of endpoints between the
// slices of ours before and after the plan, the Service's share of the gauges and the
// sync result.
func (w sliceWriter) recordSync(svc types.NamespacedName, existing []*discoveryv1.EndpointSlice,
	managedBy string, plan endpoints.SlicePlan, maxPerSlice int, err error) {
	if err != nil {
		w.metrics.syncs.WithLabelValues(resultError).Inc()
		return
	}
	w.metrics.syncs.WithLabelValues(resultSuccess).Inc()
	before, after := endpointsOf(existing, managedBy, nil), endpointsOf(existing, managedBy, &plan)
	added, updated, removed := 0, 0, 0
	for ip, ep := range after {
		old, ok := before[ip]
		switch {
		case !ok:
			added++
		case !equalEndpoint(old, ep):
			updated++
		}
	}
	for ip := range before {
		if _, ok := after[ip]; !ok {
			removed++
		}
	}
	w.metrics.added.WithLabelValues().Observe(float64(added))
	w.metrics.updated.WithLabelValues().Observe(float64(updated))
	w.metrics.removed.WithLabelValues().Observe(float64(removed))
	slices := len(versionsOf(existing, managedBy)) + len(plan.Create) - len(plan.Delete)
	wanted := (len(after) + maxPerSlice - 1) / maxPerSlice
	w.metrics.totals.set(svc, serviceTotal{endpoints: len(after), slices: slices, wantedSlices: wanted})
}
