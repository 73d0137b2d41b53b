package endpoints

import (
	corev1 "k8s.io/api/core/v1"
)

// conditions are the EndpointSlice conditions of a pod for one Service.
type conditions struct {
	ready, serving, terminating bool
}

// podConditions derives the endpoint conditions (upstream podToEndpoint):
// serving is the pod's Ready condition, terminating is a set deletionTimestamp, and ready is
// publishNotReadyAddresses || (serving && !terminating): for compatibility "ready" is never true
// for a terminating pod unless the Service asks for not-ready addresses to be published.
func podConditions(svc *corev1.Service, pod *corev1.Pod) conditions {
	serving := isPodReady(pod)
	terminating := pod.DeletionTimestamp != nil
	return conditions{
		ready:       svc.Spec.PublishNotReadyAddresses || (serving && !terminating),
		serving:     serving,
		terminating: terminating,
	}
}

// isPodReady reports the pod's Ready condition (podutil.IsPodReady).
func isPodReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podEligible reports whether pod may be an endpoint of svc (upstream ShouldPodBeInEndpoints plus a
// namespace guard). Terminal pods (Succeeded/Failed) never are; pods without an IP cannot be.
// Terminating pods are kept only when includeTerminating: always for EndpointSlices (with the
// terminating condition), and for Endpoints only with publishNotReadyAddresses.
func podEligible(svc *corev1.Service, pod *corev1.Pod, includeTerminating bool) bool {
	if pod == nil || pod.Namespace != svc.Namespace {
		// The caller selects pods; a pod of another namespace can never back this Service.
		return false
	}
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.Status.PodIP == "" && len(pod.Status.PodIPs) == 0 {
		return false
	}
	if !includeTerminating && pod.DeletionTimestamp != nil {
		return false
	}
	return true
}

// shouldSetHostname reports whether the pod's hostname is published (upstream ShouldSetHostname):
// only when the pod asked for a hostname inside this Service's subdomain.
func shouldSetHostname(svc *corev1.Service, pod *corev1.Pod) bool {
	return pod.Spec.Hostname != "" && pod.Spec.Subdomain == svc.Name && pod.Namespace == svc.Namespace
}
