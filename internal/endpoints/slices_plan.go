package endpoints

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

const (
	// DefaultMaxEndpointsPerSlice is upstream's default --max-endpoints-per-slice.
	DefaultMaxEndpointsPerSlice = 100
	// MaxMaxEndpointsPerSlice is the largest allowed value (the API's limit on endpoints per slice).
	MaxMaxEndpointsPerSlice = 1000
)

// SliceOptions tunes PlanSlices.
type SliceOptions struct {
	// MaxEndpointsPerSlice: 0 means DefaultMaxEndpointsPerSlice; values are clamped to
	// 1..MaxMaxEndpointsPerSlice.
	MaxEndpointsPerSlice int
}

// SlicePlan is the difference between the existing slices and the desired ones.
type SlicePlan struct {
	// Create are new slices (GenerateName set, no Name), in a deterministic order.
	Create []*discoveryv1.EndpointSlice
	// Update are deep copies of existing slices (Name, ResourceVersion, UID kept) with their new
	// content, sorted by name.
	Update []*discoveryv1.EndpointSlice
	// Delete are the existing slices to delete (the input objects), sorted by name.
	Delete []*discoveryv1.EndpointSlice
	// Unchanged counts the existing slices of ours that need no write.
	Unchanged int
}

// Empty reports a plan with nothing to write.
func (p SlicePlan) Empty() bool {
	return len(p.Create) == 0 && len(p.Update) == 0 && len(p.Delete) == 0
}

// clampMax applies a default and the 1..MaxMaxEndpointsPerSlice bounds.
func clampMax(n, def int) int {
	if n == 0 {
		n = def
	}
	return max(1, min(n, MaxMaxEndpointsPerSlice))
}

// PlanSlices plans the EndpointSlices of in.Service (upstream endpointslice Reconciler.Reconcile).
// existing are the slices labelled kubernetes.io/service-name=<service>; only those whose
// endpointslice.kubernetes.io/managed-by is ManagedByValue are considered ours, the others are
// never updated nor deleted. Of ours, the slices not controlled by this Service (same name, older
// UID) and those of an address family the Service no longer has are deleted. When the Service has
// no endpoints at all, one empty placeholder slice of its primary family is kept or created, so
// that consumers can tell "no endpoints" from "not yet synced". Creates are suppressed while the
// Service is being deleted (upstream avoids racing the garbage collector). Created and updated
// slices carry the trigger-time annotation (removed when TriggerTime is zero).
func PlanSlices(in Input, existing []*discoveryv1.EndpointSlice, opts SliceOptions) (SlicePlan, []Problem) {
	svc := in.Service
	families := serviceFamilies(svc)
	groups, problems := desiredSliceGroups(in, families)
	t := &sliceTemplate{
		namespace:    svc.Namespace,
		generateName: svc.Name + "-",
		labels:       desiredSliceLabels(svc),
		owner:        controllerRef("Service", svc.Name, svc.UID),
		max:          clampMax(opts.MaxEndpointsPerSlice, DefaultMaxEndpointsPerSlice),
	}
	var ours []*discoveryv1.EndpointSlice
	for _, s := range existing {
		if s != nil && s.Namespace == svc.Namespace && s.Labels[discoveryv1.LabelManagedBy] == ManagedByValue &&
			s.Labels[discoveryv1.LabelServiceName] == svc.Name {
			ours = append(ours, s)
		}
	}
	plan := t.plan(groups, ours, families, "Service", svc.UID, families[0])
	if svc.DeletionTimestamp != nil {
		plan.Create = nil
	}
	for _, s := range plan.Create {
		setTriggerTime(s, in.TriggerTime)
	}
	for _, s := range plan.Update {
		setTriggerTime(s, in.TriggerTime)
	}
	return plan, sortProblems(problems)
}

// setTriggerTime writes or clears endpoints.kubernetes.io/last-change-trigger-time (upstream
// addTriggerTimeAnnotation).
func setTriggerTime(s *discoveryv1.EndpointSlice, tt time.Time) {
	if tt.IsZero() {
		delete(s.Annotations, corev1.EndpointsLastChangeTriggerTime)
		return
	}
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations[corev1.EndpointsLastChangeTriggerTime] = tt.UTC().Format(time.RFC3339Nano)
}

// ownedBy reports whether s has an ownerReference to the v1 object of the given kind and UID
// (upstream ownedBy).
func ownedBy(s *discoveryv1.EndpointSlice, kind string, uid types.UID) bool {
	for _, o := range s.OwnerReferences {
		if o.APIVersion == "v1" && o.Kind == kind && o.UID == uid {
			return true
		}
	}
	return false
}
