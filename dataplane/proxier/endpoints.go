package proxier

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// Endpoint is one backend of a Service port, as read from an EndpointSlice.
type Endpoint struct {
	Address  netip.Addr
	Port     uint16
	NodeName string
	// Ready, Serving and Terminating are the EndpointSlice conditions with
	// the API's defaults applied: nil ready and nil serving mean true, nil
	// terminating means false (kube-proxy's endpointslicecache does the same).
	Ready, Serving, Terminating bool
}

// AddrPort is the endpoint's identity within a Service port.
func (e Endpoint) AddrPort() netip.AddrPort { return netip.AddrPortFrom(e.Address, e.Port) }

// rank orders duplicate copies of one endpoint: a copy that can take traffic
// wins over one that cannot.
func (e Endpoint) rank() int {
	switch {
	case e.Ready:
		return 2
	case e.Serving && e.Terminating:
		return 1
	default:
		return 0
	}
}

// CategorizeEndpoints decides which endpoints receive traffic. It is the one
// place where this rule lives (kube-proxy: pkg/proxy/topology.go
// CategorizeEndpoints):
//
//   - cluster: the ready endpoints; if there are none, the endpoints that are
//     serving and terminating, so that a Service whose pods are all shutting
//     down keeps answering until they are gone (KEP-1669);
//   - local: the same rule applied to the endpoints on nodeName only, used
//     for internalTrafficPolicy / externalTrafficPolicy Local. The fallback
//     is decided on the local endpoints alone: local terminating endpoints
//     serve when no local endpoint is ready, even if remote ones are.
//
// Endpoints that are neither ready nor serving-and-terminating never serve.
// Topology hints are not honoured.
func CategorizeEndpoints(eps []Endpoint, nodeName string) (cluster, local []Endpoint) {
	cluster = serving(eps, func(Endpoint) bool { return true })
	local = serving(eps, func(e Endpoint) bool { return nodeName != "" && e.NodeName == nodeName })
	return cluster, local
}

// serving returns the ready endpoints among those keep accepts, or, when none
// is ready, the serving+terminating ones. It counts first so that it
// allocates once: this runs for every Service port on every sync.
func serving(eps []Endpoint, keep func(Endpoint) bool) []Endpoint {
	nReady, nFallback := 0, 0
	for _, e := range eps {
		switch {
		case !keep(e):
		case e.Ready:
			nReady++
		case e.Serving && e.Terminating:
			nFallback++
		}
	}
	useReady := nReady > 0
	n := nReady
	if !useReady {
		n = nFallback
	}
	if n == 0 {
		return nil
	}
	out := make([]Endpoint, 0, n)
	for _, e := range eps {
		if keep(e) && (useReady && e.Ready || !useReady && !e.Ready && e.Serving && e.Terminating) {
			out = append(out, e)
		}
	}
	return out
}

// servicePortEndpoints collects, from all slices of one Service, the
// endpoints of the Service port named portName with protocol proto, in the
// address family of slices' addressType (IPv4/IPv6; FQDN slices are never
// proxied). The slice port is matched by name and protocol, as kube-proxy
// keys its endpoint map by ServicePortName. An IP:port listed more than once
// (several slices, or a slice repeated during a controller's update) appears
// once, keeping its best copy (ready over serving+terminating over neither).
func servicePortEndpoints(all []*discoveryv1.EndpointSlice, portName string, proto corev1.Protocol) []Endpoint {
	n := 0
	for _, s := range all {
		n += len(s.Endpoints)
	}
	out := make([]Endpoint, 0, n)
	for _, s := range all {
		if s.AddressType != discoveryv1.AddressTypeIPv4 && s.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		port, ok := slicePort(s, portName, proto)
		if !ok {
			continue
		}
		for i := range s.Endpoints {
			if e, ok := toEndpoint(&s.Endpoints[i], s.AddressType, port); ok {
				out = append(out, e)
			}
		}
	}
	// Sort by IP:port, best copy first, then keep the first of each run:
	// cheaper than a map for the handful of endpoints a port usually has.
	slices.SortStableFunc(out, func(a, b Endpoint) int {
		if c := a.AddrPort().Compare(b.AddrPort()); c != 0 {
			return c
		}
		return b.rank() - a.rank()
	})
	return slices.CompactFunc(out, func(a, b Endpoint) bool { return a.AddrPort() == b.AddrPort() })
}

// slicePort returns the port number the slice lists for the Service port.
func slicePort(s *discoveryv1.EndpointSlice, portName string, proto corev1.Protocol) (uint16, bool) {
	for _, p := range s.Ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		pp := corev1.ProtocolTCP // the API's default for an unset protocol
		if p.Protocol != nil {
			pp = *p.Protocol
		}
		if name != portName || pp != proto || p.Port == nil {
			continue
		}
		if *p.Port < 1 || *p.Port > 65535 {
			return 0, false
		}
		return uint16(*p.Port), true
	}
	return 0, false
}

// toEndpoint converts a slice endpoint. Like kube-proxy, only the first
// address is used (the API requires all addresses of one endpoint to be
// fungible and consumers to use the first).
func toEndpoint(ep *discoveryv1.Endpoint, at discoveryv1.AddressType, port uint16) (Endpoint, bool) {
	if len(ep.Addresses) == 0 {
		return Endpoint{}, false
	}
	ip, err := netip.ParseAddr(ep.Addresses[0])
	if err != nil || ip.Zone() != "" {
		return Endpoint{}, false
	}
	ip = ip.Unmap()
	if ip.Is4() != (at == discoveryv1.AddressTypeIPv4) {
		return Endpoint{}, false
	}
	e := Endpoint{
		Address:     ip,
		Port:        port,
		Ready:       ep.Conditions.Ready == nil || *ep.Conditions.Ready,
		Serving:     ep.Conditions.Serving == nil || *ep.Conditions.Serving,
		Terminating: ep.Conditions.Terminating != nil && *ep.Conditions.Terminating,
	}
	if ep.NodeName != nil {
		e.NodeName = *ep.NodeName
	}
	return e, true
}
