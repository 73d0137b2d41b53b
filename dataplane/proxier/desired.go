package proxier

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// Input is everything BuildDesired reads. Nothing in it is modified.
type Input struct {
	Services []*corev1.Service
	Slices   []*discoveryv1.EndpointSlice
	Node     Node
	Options  Options
}

// DesiredVirtualServer is one virtual server slicelb wants, with where it
// comes from.
type DesiredVirtualServer struct {
	ipvs.VirtualServer
	// RealServers are sorted by address and port, each with weight 1.
	RealServers []ipvs.RealServer
	Service     types.NamespacedName
	PortName    string
	Kind        VIPKind
	// Masquerade is true for external VIPs (NodePort, externalIP, load
	// balancer) with externalTrafficPolicy Cluster: the client's address must
	// be replaced by the node's, or replies from a pod on another node would
	// bypass this node's IPVS. With Local the source is preserved.
	Masquerade bool
	// DrainTimeout is the Service's Policy drain timeout; 0 means the sync's.
	DrainTimeout time.Duration
}

// Hairpin is a local endpoint that may reach itself through a Service: such
// traffic (source == destination after IPVS picks the endpoint) must be
// masqueraded or the pod would answer itself directly (kube-proxy's
// KUBE-LOOP-BACK set).
type Hairpin struct {
	Protocol ipvs.Protocol
	Endpoint netip.AddrPort
}

// DesiredState is the complete IPVS configuration slicelb wants on a node.
type DesiredState struct {
	VirtualServers map[ipvs.VirtualServerKey]*DesiredVirtualServer
	// BindAddresses are the VIPs to hold on slicelb0: cluster IPs, external
	// IPs and load balancer IPs that carry at least one virtual server, never
	// node addresses. Sorted.
	BindAddresses []netip.Addr
	// Masquerade are the keys of the virtual servers with Masquerade set, sorted.
	Masquerade []ipvs.VirtualServerKey
	// Hairpin are the local endpoints of every virtual server, sorted, unique.
	Hairpin []Hairpin
}

// BuildDesired computes the desired state. Services are visited in
// namespace/name order so that when two Services claim the same VIP:port
// (possible with externalIPs) the result is deterministic: the first wins.
func BuildDesired(in Input) *DesiredState {
	b := builder{
		in:        in,
		ds:        &DesiredState{VirtualServers: map[ipvs.VirtualServerKey]*DesiredVirtualServer{}},
		slices:    indexSlices(in.Slices),
		nodeAddrs: in.Options.nodePortAddresses(in.Node),
		isNode:    map[netip.Addr]bool{},
		bind:      map[netip.Addr]bool{},
		hairpin:   map[Hairpin]bool{},
	}
	for _, a := range in.Node.Addresses {
		b.isNode[a.Unmap()] = true
	}
	svcs := slices.DeleteFunc(slices.Clone(in.Services), func(s *corev1.Service) bool { return s == nil })
	slices.SortFunc(svcs, func(a, c *corev1.Service) int {
		return cmp.Or(cmp.Compare(a.Namespace, c.Namespace), cmp.Compare(a.Name, c.Name))
	})
	for _, svc := range svcs {
		if proxied(svc, in.Options.ProxyName) {
			b.addService(svc)
		}
	}
	return b.finish()
}

// builder accumulates one BuildDesired run.
type builder struct {
	in        Input
	ds        *DesiredState
	slices    map[types.NamespacedName][]*discoveryv1.EndpointSlice
	nodeAddrs []netip.Addr // node addresses NodePorts are served on
	isNode    map[netip.Addr]bool
	bind      map[netip.Addr]bool
	hairpin   map[Hairpin]bool
}

// indexSlices groups slices by the Service named in their
// kubernetes.io/service-name label (same namespace).
func indexSlices(all []*discoveryv1.EndpointSlice) map[types.NamespacedName][]*discoveryv1.EndpointSlice {
	out := map[types.NamespacedName][]*discoveryv1.EndpointSlice{}
	for _, s := range all {
		if s == nil {
			continue
		}
		name, ok := s.Labels[discoveryv1.LabelServiceName]
		if !ok || name == "" {
			continue
		}
		k := types.NamespacedName{Namespace: s.Namespace, Name: name}
		out[k] = append(out[k], s)
	}
	// Slice order must not change the result; sort by name for stability.
	for _, ss := range out {
		slices.SortFunc(ss, func(a, c *discoveryv1.EndpointSlice) int { return cmp.Compare(a.Name, c.Name) })
	}
	return out
}

func (b *builder) finish() *DesiredState {
	for a := range b.bind {
		b.ds.BindAddresses = append(b.ds.BindAddresses, a)
	}
	slices.SortFunc(b.ds.BindAddresses, netip.Addr.Compare)
	for k, vs := range b.ds.VirtualServers {
		if vs.Masquerade {
			b.ds.Masquerade = append(b.ds.Masquerade, k)
		}
	}
	slices.SortFunc(b.ds.Masquerade, ipvs.VirtualServerKey.Compare)
	for h := range b.hairpin {
		b.ds.Hairpin = append(b.ds.Hairpin, h)
	}
	slices.SortFunc(b.ds.Hairpin, func(a, c Hairpin) int {
		return cmp.Or(a.Endpoint.Compare(c.Endpoint), cmp.Compare(a.Protocol, c.Protocol))
	})
	return b.ds
}
