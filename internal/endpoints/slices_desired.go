package endpoints

import (
	"cmp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// sliceGroup is the desired content of the slices of one address family and one port list: the
// unit upstream reconciles in reconcileByPortMapping.
type sliceGroup struct {
	family    discoveryv1.AddressType
	portKey   string
	ports     []discoveryv1.EndpointPort
	endpoints []discoveryv1.Endpoint // sorted by endpointKey, keys unique
}

// groupID orders and identifies groups: family first (in the Service's family order), then ports.
type groupID struct {
	family  discoveryv1.AddressType
	portKey string
}

// desiredSliceGroups computes, per family of the Service, the endpoints of every eligible pod
// grouped by the pod's resolved port list (upstream reconcileByAddressType). Terminating pods are
// included with their terminating condition. Problems are the unresolved named ports.
func desiredSliceGroups(in Input, families []discoveryv1.AddressType) ([]sliceGroup, []Problem) {
	svc := in.Service
	byID := map[groupID]*sliceGroup{}
	var problems []Problem
	for _, pod := range in.Pods {
		if !podEligible(svc, pod, true) {
			continue
		}
		// Ports do not depend on the family: resolve once. A pod whose named ports all fail to
		// resolve still lands in the port-less group, as upstream's getEndpointPorts does.
		ports, pp := resolvePorts(svc, pod)
		problems = append(problems, pp...)
		pk := portListKey(ports)
		for _, family := range families {
			ip, ok := podIPOfFamily(pod, family)
			if !ok {
				continue
			}
			id := groupID{family: family, portKey: pk}
			g := byID[id]
			if g == nil {
				g = &sliceGroup{family: family, portKey: pk, ports: toSlicePorts(ports)}
				byID[id] = g
			}
			g.endpoints = append(g.endpoints, podEndpoint(in, pod, ip))
		}
	}
	groups := make([]sliceGroup, 0, len(byID))
	for _, g := range byID {
		g.endpoints = uniqueSortedEndpoints(g.endpoints)
		groups = append(groups, *g)
	}
	sortGroups(groups, families)
	return groups, problems
}

// sortGroups orders groups by the position of their family in families, then by port key.
func sortGroups(groups []sliceGroup, families []discoveryv1.AddressType) {
	slices.SortFunc(groups, func(a, b sliceGroup) int {
		return cmp.Or(cmp.Compare(slices.Index(families, a.family), slices.Index(families, b.family)),
			cmp.Compare(a.portKey, b.portKey))
	})
}

// podEndpoint builds the EndpointSlice endpoint of pod for one address (upstream podToEndpoint):
// conditions, target reference, node, zone (from the Node's topology.kubernetes.io/zone label),
// hostname when the pod lives in the Service's subdomain, and traffic-distribution hints.
func podEndpoint(in Input, pod *corev1.Pod, ip string) discoveryv1.Endpoint {
	svc := in.Service
	c := podConditions(svc, pod)
	ep := discoveryv1.Endpoint{
		Addresses: []string{ip},
		Conditions: discoveryv1.EndpointConditions{
			Ready:       new(c.ready),
			Serving:     new(c.serving),
			Terminating: new(c.terminating),
		},
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
	}
	if pod.Spec.NodeName != "" {
		ep.NodeName = new(pod.Spec.NodeName)
		if node := in.Nodes[pod.Spec.NodeName]; node != nil && node.Labels[corev1.LabelTopologyZone] != "" {
			ep.Zone = new(node.Labels[corev1.LabelTopologyZone])
		}
	}
	if shouldSetHostname(svc, pod) {
		ep.Hostname = new(pod.Spec.Hostname)
	}
	ep.Hints = endpointHints(svc, &ep)
	return ep
}

// uniqueSortedEndpoints sorts endpoints by key and keeps the first of each key, so that every
// desired endpoint is placed exactly once. Two pods only share a key if they share IP, hostname
// and name, i.e. never for valid input.
func uniqueSortedEndpoints(eps []discoveryv1.Endpoint) []discoveryv1.Endpoint {
	type keyed struct {
		key string
		ep  discoveryv1.Endpoint
	}
	list := make([]keyed, len(eps))
	for i := range eps {
		list[i] = keyed{key: endpointKey(&eps[i]), ep: eps[i]}
	}
	slices.SortStableFunc(list, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	list = slices.CompactFunc(list, func(a, b keyed) bool { return a.key == b.key })
	out := make([]discoveryv1.Endpoint, len(list))
	for i := range list {
		out[i] = list[i].ep
	}
	return out
}
