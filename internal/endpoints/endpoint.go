package endpoints

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// endpointKey identifies an endpoint across syncs the way upstream's EndpointSet hashes it:
// its addresses, hostname and the namespace/name of its target. Conditions, node, zone and hints
// are attributes of that identity, so a change there updates the endpoint in place.
func endpointKey(ep *discoveryv1.Endpoint) string {
	addrs := ep.Addresses
	if !slices.IsSorted(addrs) {
		addrs = slices.Sorted(slices.Values(addrs))
	}
	var b strings.Builder
	for i, a := range addrs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a)
	}
	b.WriteByte('|')
	if ep.Hostname != nil {
		b.WriteString(*ep.Hostname)
	}
	b.WriteByte('|')
	if ep.TargetRef != nil {
		b.WriteString(ep.TargetRef.Namespace)
		b.WriteByte('/')
		b.WriteString(ep.TargetRef.Name)
	}
	return b.String()
}

// endpointEqual compares every field the planner sets. TargetRef.ResourceVersion is ignored
// (upstream semanticIgnoreResourceVersion): a pod update that does not change the endpoint must not
// cause a write.
func endpointEqual(a, b *discoveryv1.Endpoint) bool {
	return slices.Equal(a.Addresses, b.Addresses) &&
		boolPtrEqual(a.Conditions.Ready, b.Conditions.Ready) &&
		boolPtrEqual(a.Conditions.Serving, b.Conditions.Serving) &&
		boolPtrEqual(a.Conditions.Terminating, b.Conditions.Terminating) &&
		stringPtrEqual(a.Hostname, b.Hostname) &&
		stringPtrEqual(a.NodeName, b.NodeName) &&
		stringPtrEqual(a.Zone, b.Zone) &&
		objectRefEqual(a.TargetRef, b.TargetRef) &&
		hintsEqual(a.Hints, b.Hints)
}

func boolPtrEqual(a, b *bool) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func stringPtrEqual(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func objectRefEqual(a, b *corev1.ObjectReference) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.ResourceVersion, y.ResourceVersion = "", ""
	return x == y
}

func hintsEqual(a, b *discoveryv1.EndpointHints) bool {
	if a == nil || b == nil {
		return a == b
	}
	return slices.Equal(a.ForZones, b.ForZones) && slices.Equal(a.ForNodes, b.ForNodes)
}

// toSlicePorts converts resolved ports to EndpointSlice ports (name and appProtocol copied from
// the Service port). The result is never nil: the API returns an empty list for a slice without
// ports, and the placeholder is compared against it.
func toSlicePorts(ports []endpointPort) []discoveryv1.EndpointPort {
	out := make([]discoveryv1.EndpointPort, 0, len(ports))
	for _, p := range ports {
		out = append(out, discoveryv1.EndpointPort{
			Name:        new(p.name),
			Port:        new(p.port),
			Protocol:    new(p.protocol),
			AppProtocol: clonePtr(p.appProtocol),
		})
	}
	return out
}

// fromSlicePorts converts the ports of an existing slice for grouping. Nil fields take the values
// the API server would have defaulted.
func fromSlicePorts(ports []discoveryv1.EndpointPort) []endpointPort {
	out := make([]endpointPort, 0, len(ports))
	for _, p := range ports {
		ep := endpointPort{protocol: corev1.ProtocolTCP, appProtocol: clonePtr(p.AppProtocol)}
		if p.Name != nil {
			ep.name = *p.Name
		}
		if p.Port != nil {
			ep.port = *p.Port
		}
		if p.Protocol != nil {
			ep.protocol = *p.Protocol
		}
		out = append(out, ep)
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return new(*p)
}
