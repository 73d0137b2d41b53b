package endpoints

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// endpointHints returns the topology hints for an endpoint under the Service's
// spec.trafficDistribution (upstream trafficdist preferCloseHeuristic):
//   - PreferClose and PreferSameZone: forZones = the endpoint's own zone;
//   - PreferSameNode: forNodes = the endpoint's own node, plus forZones as above so that
//     zone-aware consumers still keep traffic close;
//   - anything else (unset or unknown): no hints.
//
// Like upstream, only ready endpoints are hinted: consumers (kube-proxy's CategorizeEndpoints)
// only look at hints of ready endpoints, and upstream never sets them on the others. Unlike
// upstream, a not-ready endpoint's hints are cleared rather than left stale, so the desired state
// is a pure function of the inputs.
func endpointHints(svc *corev1.Service, ep *discoveryv1.Endpoint) *discoveryv1.EndpointHints {
	if svc.Spec.TrafficDistribution == nil || ep.Conditions.Ready == nil || !*ep.Conditions.Ready {
		return nil
	}
	var nodeHints bool
	switch *svc.Spec.TrafficDistribution {
	case corev1.ServiceTrafficDistributionPreferClose, corev1.ServiceTrafficDistributionPreferSameZone:
	case corev1.ServiceTrafficDistributionPreferSameNode:
		nodeHints = true
	default:
		return nil
	}
	var h discoveryv1.EndpointHints
	if ep.Zone != nil {
		h.ForZones = []discoveryv1.ForZone{{Name: *ep.Zone}}
	}
	if nodeHints && ep.NodeName != nil {
		h.ForNodes = []discoveryv1.ForNode{{Name: *ep.NodeName}}
	}
	if h.ForZones == nil && h.ForNodes == nil {
		return nil
	}
	return &h
}
