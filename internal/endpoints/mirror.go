package endpoints

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// DefaultMaxAddressesPerMirroredSubset is upstream's --mirroring-max-endpoints-per-subset default:
// at most this many addresses of one Endpoints subset are mirrored.
const DefaultMaxAddressesPerMirroredSubset = 1000

// MirrorOptions tunes PlanMirror.
type MirrorOptions struct {
	// MaxAddressesPerSubset: 0 means DefaultMaxAddressesPerMirroredSubset; clamped to 1..1000.
	// It is also the size limit of a mirrored slice, so each subset maps to one slice per family.
	MaxAddressesPerSubset int
}

// ShouldMirror reports whether a hand-written Endpoints object is mirrored into EndpointSlices:
// not when it opts out with endpointslice.kubernetes.io/skip-mirror "true" (a label upstream;
// slicelb also accepts it as an annotation), and not when it is a leader-election lock (annotation
// control-plane.alpha.kubernetes.io/leader), which is not service discovery data. Beyond upstream,
// Endpoints carrying our own endpoints.kubernetes.io/managed-by are not hand-written: they are left
// over from when the Service had a selector and the Endpoints reconciler removes them, so mirroring
// them would only create slices to delete a moment later.
func ShouldMirror(ep *corev1.Endpoints) bool {
	if ep == nil || ep.Labels[LabelEndpointsManagedBy] == ManagedByValue {
		return false
	}
	if ep.Labels[AnnotationSkipMirror] == "true" || ep.Annotations[AnnotationSkipMirror] == "true" {
		return false
	}
	_, leader := ep.Annotations[AnnotationLeaderElection]
	return !leader
}

// PlanMirror plans the EndpointSlices mirrored from the hand-written Endpoints of a selectorless
// Service (upstream endpointslicemirroring reconciler). existing are the slices labelled
// kubernetes.io/service-name=<name>; only those managed by MirrorManagedByValue are considered.
//
// Each canonical subset is mirrored, per address family, into one slice holding at most
// MaxAddressesPerSubset addresses (ready ones first; the excess is dropped and reported as
// ReasonTooManyAddresses); addresses that are not IPs are skipped and reported as
// ReasonInvalidIPAddress. Mirrored endpoints carry only the ready condition (addresses → true,
// notReadyAddresses → false), as upstream. Slices carry the Endpoints' labels and annotations
// (minus the trigger-time and kubectl last-applied annotations) plus service-name and our mirroring
// managed-by, and are controlled by the Endpoints object.
//
// When there is nothing to mirror — svc is nil or has a selector, ep is nil, or !ShouldMirror(ep) —
// the plan deletes every mirrored slice of ours, so the reconciler can always call it.
func PlanMirror(svc *corev1.Service, ep *corev1.Endpoints, existing []*discoveryv1.EndpointSlice, opts MirrorOptions) (SlicePlan, []Problem) {
	var ours []*discoveryv1.EndpointSlice
	name, namespace := "", ""
	if ep != nil {
		name, namespace = ep.Name, ep.Namespace
	} else if svc != nil {
		name, namespace = svc.Name, svc.Namespace
	}
	for _, s := range existing {
		if s != nil && s.Namespace == namespace && s.Labels[discoveryv1.LabelManagedBy] == MirrorManagedByValue &&
			s.Labels[discoveryv1.LabelServiceName] == name {
			ours = append(ours, s)
		}
	}
	if svc == nil || svc.Spec.Selector != nil || ep == nil || !ShouldMirror(ep) {
		sortSlicesByName(ours)
		return SlicePlan{Delete: ours}, nil
	}

	limit := clampMax(opts.MaxAddressesPerSubset, DefaultMaxAddressesPerMirroredSubset)
	groups, problems := mirrorGroups(ep, limit)
	labels := withoutKeys(ep.Labels)
	labels[discoveryv1.LabelServiceName] = ep.Name
	labels[discoveryv1.LabelManagedBy] = MirrorManagedByValue
	t := &sliceTemplate{
		namespace:        ep.Namespace,
		generateName:     ep.Name + "-",
		labels:           labels,
		owner:            controllerRef("Endpoints", ep.Name, ep.UID),
		exactAnnotations: withoutKeys(ep.Annotations, corev1.EndpointsLastChangeTriggerTime, corev1.LastAppliedConfigAnnotation),
		max:              limit,
	}
	families := []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}
	plan := t.plan(groups, ours, families, "Endpoints", ep.UID, "")
	if ep.DeletionTimestamp != nil {
		plan.Create = nil
	}
	return plan, problems
}

// mirrorGroups turns the canonical subsets of ep into slice groups, one per subset and family.
func mirrorGroups(ep *corev1.Endpoints, limit int) ([]sliceGroup, []Problem) {
	byID := map[groupID]*sliceGroup{}
	invalid, skipped := 0, 0
	for _, subset := range repackSubsets(ep.Subsets) {
		ports := make([]endpointPort, 0, len(subset.Ports))
		for _, p := range subset.Ports {
			ports = append(ports, endpointPort{name: p.Name, port: p.Port, protocol: p.Protocol, appProtocol: p.AppProtocol})
		}
		pk := portListKey(ports)
		added := 0
		add := func(a corev1.EndpointAddress, ready bool) {
			if added >= limit {
				skipped++
				return
			}
			ip, family, ok := parseIP(a.IP)
			if !ok {
				invalid++
				return
			}
			id := groupID{family: family, portKey: pk}
			g := byID[id]
			if g == nil {
				g = &sliceGroup{family: family, portKey: pk, ports: toSlicePorts(ports)}
				byID[id] = g
			}
			g.endpoints = append(g.endpoints, addressEndpoint(a, ip, ready))
			added++
		}
		for _, a := range subset.Addresses {
			add(a, true)
		}
		for _, a := range subset.NotReadyAddresses {
			add(a, false)
		}
	}
	groups := make([]sliceGroup, 0, len(byID))
	for _, g := range byID {
		groups = append(groups, *g)
	}
	families := []discoveryv1.AddressType{discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6}
	for i := range groups {
		groups[i].endpoints = uniqueSortedEndpoints(groups[i].endpoints)
	}
	sortGroups(groups, families)

	var problems []Problem
	if invalid > 0 {
		problems = append(problems, Problem{Reason: ReasonInvalidIPAddress,
			Message: fmt.Sprintf("Skipped %d invalid IP addresses when mirroring to EndpointSlices", invalid)})
	}
	if skipped > 0 {
		problems = append(problems, Problem{Reason: ReasonTooManyAddresses,
			Message: fmt.Sprintf("A max of %d addresses can be mirrored to EndpointSlices per Endpoints subset. %d addresses were skipped", limit, skipped)})
	}
	return groups, sortProblems(problems)
}

// addressEndpoint converts one Endpoints address (upstream addressToEndpoint).
func addressEndpoint(a corev1.EndpointAddress, ip string, ready bool) discoveryv1.Endpoint {
	ep := discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: new(ready)},
		NodeName:   clonePtr(a.NodeName),
	}
	if a.TargetRef != nil {
		ep.TargetRef = a.TargetRef.DeepCopy()
	}
	if a.Hostname != "" {
		ep.Hostname = new(a.Hostname)
	}
	return ep
}
