package endpoints

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
)

// EndpointsEqual reports whether a and b carry the same content as far as this controller is
// concerned: the same canonical subsets (so order and packing differences from another writer do
// not count; TargetRef.ResourceVersion is ignored as upstream does, since pod updates that do not
// change the endpoint must not cause writes), the same labels, and the same annotations apart from
// endpoints.kubernetes.io/last-change-trigger-time, which alone never justifies a write.
func EndpointsEqual(a, b *corev1.Endpoints) bool {
	if a == nil || b == nil {
		return a == b
	}
	return reflect.DeepEqual(comparableSubsets(a.Subsets), comparableSubsets(b.Subsets)) &&
		stringMapsEqual(a.Labels, b.Labels) &&
		stringMapsEqual(withoutKeys(a.Annotations, corev1.EndpointsLastChangeTriggerTime),
			withoutKeys(b.Annotations, corev1.EndpointsLastChangeTriggerTime))
}

// MergeEndpoints returns the object to write given the existing Endpoints (nil when none exists)
// and the desired one from DesiredEndpoints, and whether a write is needed. The result is a copy
// of existing (name, resourceVersion, ownerships and annotations of other writers kept) with the
// desired subsets and labels, and our annotations (trigger time, over-capacity) set or cleared as
// desired. write is false when only the trigger time would change: an unchanged object is never
// written.
func MergeEndpoints(existing, desired *corev1.Endpoints) (*corev1.Endpoints, bool) {
	if existing == nil {
		return desired.DeepCopy(), true
	}
	obj := existing.DeepCopy()
	d := desired.DeepCopy()
	obj.Subsets = d.Subsets
	obj.Labels = d.Labels
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	for _, k := range []string{corev1.EndpointsLastChangeTriggerTime, corev1.EndpointsOverCapacity} {
		if v, ok := d.Annotations[k]; ok {
			obj.Annotations[k] = v
		} else {
			delete(obj.Annotations, k)
		}
	}
	return obj, !EndpointsEqual(existing, obj)
}

// comparableSubsets is the canonical form with target resource versions cleared and nil/empty
// lists unified by the repacking.
func comparableSubsets(subsets []corev1.EndpointSubset) []corev1.EndpointSubset {
	out := repackSubsets(subsets)
	for i := range out {
		for _, list := range [][]corev1.EndpointAddress{out[i].Addresses, out[i].NotReadyAddresses} {
			for j := range list {
				if list[j].TargetRef != nil {
					list[j].TargetRef.ResourceVersion = ""
				}
			}
		}
	}
	return out
}

// withoutKeys returns a copy of m without the given keys.
func withoutKeys(m map[string]string, keys ...string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}
