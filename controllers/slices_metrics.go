package controllers

import (
	"strconv"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// endpointKey identifies an endpoint across slices: its address family, first address
// and the port list of its slice (the same pod can be in two slices with different ports).
type endpointKey struct {
	family discoveryv1.AddressType
	ip     string
	ports  string
}

// endpointsOf indexes the endpoints of the slices of ours, as they exist (plan == nil) or
// as they will be once the plan is applied.
func endpointsOf(existing []*discoveryv1.EndpointSlice, managedBy string, plan *endpoints.SlicePlan) map[endpointKey]discoveryv1.Endpoint {
	final := map[string]*discoveryv1.EndpointSlice{}
	for _, s := range existing {
		if s.Labels[discoveryv1.LabelManagedBy] == managedBy {
			final[s.Name] = s
		}
	}
	var created []*discoveryv1.EndpointSlice
	if plan != nil {
		for _, s := range plan.Update {
			final[s.Name] = s
		}
		for _, s := range plan.Delete {
			delete(final, s.Name)
		}
		created = plan.Create
	}
	out := map[endpointKey]discoveryv1.Endpoint{}
	add := func(s *discoveryv1.EndpointSlice) {
		ports := portsKey(s.Ports)
		for _, ep := range s.Endpoints {
			if len(ep.Addresses) > 0 {
				out[endpointKey{family: s.AddressType, ip: ep.Addresses[0], ports: ports}] = ep
			}
		}
	}
	for _, s := range final {
		add(s)
	}
	for _, s := range created {
		add(s)
	}
	return out
}

func portsKey(ports []discoveryv1.EndpointPort) string {
	key := ""
	for _, p := range ports {
		name, proto, port := "", "", int32(0)
		if p.Name != nil {
			name = *p.Name
		}
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		if p.Port != nil {
			port = *p.Port
		}
		key += name + "/" + proto + "/" + strconv.Itoa(int(port)) + ";"
	}
	return key
}

func equalEndpoint(a, b discoveryv1.Endpoint) bool { return equality.Semantic.DeepEqual(a, b) }
