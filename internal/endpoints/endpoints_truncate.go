package endpoints

import (
	corev1 "k8s.io/api/core/v1"
)

// MaxEndpointsAddresses is the cap on addresses in one Endpoints object (upstream maxCapacity);
// consumers are expected to read EndpointSlices for more.
const MaxEndpointsAddresses = 1000

// truncateSubsets applies upstream's truncateEndpoints to canonical subsets: when the total of
// ready and not-ready addresses exceeds limit, ready addresses are kept first; the budget left
// (or, when ready ones alone exceed it, the whole budget) is shared among subsets in proportion to
// their size, rounded up, so the last subsets may get fewer. Returns nil when nothing was cut.
func truncateSubsets(subsets []corev1.EndpointSubset, limit int) []corev1.EndpointSubset {
	totalReady, totalNotReady := 0, 0
	for _, s := range subsets {
		totalReady += len(s.Addresses)
		totalNotReady += len(s.NotReadyAddresses)
	}
	if totalReady+totalNotReady <= limit {
		return nil
	}
	truncateReady := totalReady > limit
	budget, total := limit-totalReady, totalNotReady
	if truncateReady {
		budget, total = limit, totalReady
	}
	left := budget
	out := make([]corev1.EndpointSubset, len(subsets))
	for i, s := range subsets {
		s = *s.DeepCopy()
		n := len(s.NotReadyAddresses)
		if truncateReady {
			n = len(s.Addresses)
		}
		// ceil(n * budget / total) in integers.
		take := min((n*budget+total-1)/total, left)
		if truncateReady {
			s.Addresses = s.Addresses[:min(take, len(s.Addresses))]
			s.NotReadyAddresses = nil
			left -= len(s.Addresses)
		} else {
			s.NotReadyAddresses = s.NotReadyAddresses[:min(take, len(s.NotReadyAddresses))]
			left -= len(s.NotReadyAddresses)
		}
		out[i] = s
	}
	return out
}
