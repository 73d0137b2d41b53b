package endpoints

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

const (
	// ManagedByValue is slicelb's value for the endpointslice.kubernetes.io/managed-by label on the
	// EndpointSlices it derives from Pods, and for endpoints.kubernetes.io/managed-by on Endpoints.
	// It is a label VALUE, so it may not contain '/' (the API server rejects "slicelb.io/controller";
	// upstream uses endpointslice-controller.k8s.io the same way).
	ManagedByValue = "controller.slicelb.io"
	// MirrorManagedByValue is the managed-by value of the slices mirrored from hand-written
	// Endpoints. It differs from ManagedByValue so that the two planners never adopt each other's
	// slices (upstream uses endpointslicemirroring-controller.k8s.io for the same reason).
	MirrorManagedByValue = "mirroring-controller.slicelb.io"
	// LabelEndpointsManagedBy marks Endpoints written by an endpoints controller (upstream
	// endpoint.LabelManagedBy).
	LabelEndpointsManagedBy = "endpoints.kubernetes.io/managed-by"
	// AnnotationSkipMirror opts an Endpoints object out of mirroring. Upstream reads it as a label
	// (discoveryv1.LabelSkipMirror); slicelb honours it both as a label and as an annotation.
	AnnotationSkipMirror = discoveryv1.LabelSkipMirror
	// AnnotationLeaderElection marks the Endpoints objects that old components used as leader
	// election locks (resourcelock.LeaderElectionRecordAnnotationKey); they are never mirrored.
	AnnotationLeaderElection = "control-plane.alpha.kubernetes.io/leader"
	// AnnotationOverCapacityTruncated is the value of corev1.EndpointsOverCapacity set when the
	// Endpoints object was truncated to MaxEndpointsAddresses addresses.
	AnnotationOverCapacityTruncated = "truncated"
)

// isReservedSliceLabel reports the labels the controller owns on a slice; a Service label with one
// of these keys is never copied (upstream isReservedLabelKey).
func isReservedSliceLabel(key string) bool {
	return key == discoveryv1.LabelServiceName || key == discoveryv1.LabelManagedBy || key == corev1.IsHeadlessService
}

// isHeadless reports a Service without a cluster IP (upstream helper.IsServiceIPSet negated).
func isHeadless(svc *corev1.Service) bool {
	return svc.Spec.ClusterIP == corev1.ClusterIPNone || svc.Spec.ClusterIP == ""
}

// desiredSliceLabels are the labels of every slice of svc: the Service's labels minus the reserved
// keys, plus the service name, our managed-by and the headless marker (upstream
// setEndpointSliceLabels).
func desiredSliceLabels(svc *corev1.Service) map[string]string {
	labels := make(map[string]string, len(svc.Labels)+3)
	for k, v := range svc.Labels {
		if !isReservedSliceLabel(k) {
			labels[k] = v
		}
	}
	if isHeadless(svc) {
		labels[corev1.IsHeadlessService] = ""
	}
	labels[discoveryv1.LabelServiceName] = svc.Name
	labels[discoveryv1.LabelManagedBy] = ManagedByValue
	return labels
}

// desiredEndpointsLabels are the labels of the Endpoints object: all Service labels, the headless
// marker for headless Services (removed otherwise) and our managed-by (upstream syncService).
func desiredEndpointsLabels(svc *corev1.Service) map[string]string {
	labels := make(map[string]string, len(svc.Labels)+2)
	for k, v := range svc.Labels {
		labels[k] = v
	}
	if isHeadless(svc) {
		labels[corev1.IsHeadlessService] = ""
	} else {
		delete(labels, corev1.IsHeadlessService)
	}
	labels[LabelEndpointsManagedBy] = ManagedByValue
	return labels
}

// stringMapsEqual compares two maps treating nil and empty as equal.
func stringMapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}
