package proxier

import (
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

const (
	// LabelServiceProxyName hands a Service to another proxy: kube-proxy
	// ignores every Service carrying it; slicelb serves those whose value is
	// Options.ProxyName (none by default).
	LabelServiceProxyName = "service.kubernetes.io/service-proxy-name"
	// DefaultScheduler is kube-proxy's --ipvs-scheduler default.
	DefaultScheduler = "rr"
	// DefaultAffinityTimeoutSeconds is corev1.DefaultClientIPServiceAffinitySeconds
	// (3 hours), used when sessionAffinityConfig leaves it unset.
	DefaultAffinityTimeoutSeconds = uint32(corev1.DefaultClientIPServiceAffinitySeconds)
	// DefaultDrainTimeout bounds how long a removed TCP real server keeps its
	// connections before it is deleted anyway.
	DefaultDrainTimeout = 15 * time.Minute
)

// PortRange is an inclusive port range.
type PortRange struct{ Min, Max uint16 }

// DefaultNodePortRange is the API server's default --service-node-port-range.
var DefaultNodePortRange = PortRange{Min: 30000, Max: 32767}

// Contains reports whether p is in the range.
func (r PortRange) Contains(p uint16) bool { return p >= r.Min && p <= r.Max }

// Node is what the proxier needs to know about the node it runs on.
type Node struct {
	// Name is matched against endpoints' nodeName for the Local policies.
	Name string
	// Addresses are the node's IPs: NodePort virtual servers are created on
	// those allowed by Options.NodePortAddresses.
	Addresses []netip.Addr
}

// NodeFromObject extracts the name and the InternalIP/ExternalIP addresses of
// n (parsed, deduplicated, sorted).
func NodeFromObject(n *corev1.Node) Node {
	node := Node{Name: n.Name}
	seen := map[netip.Addr]bool{}
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
			continue
		}
		ip, err := netip.ParseAddr(a.Address)
		if err != nil || seen[ip.Unmap()] {
			continue
		}
		seen[ip.Unmap()] = true
		node.Addresses = append(node.Addresses, ip.Unmap())
	}
	slices.SortFunc(node.Addresses, netip.Addr.Compare)
	return node
}

// Policy holds per-Service overrides (the LoadBalancingPolicy API fills it).
// A zero field keeps the default.
type Policy struct {
	// Scheduler replaces Options.Scheduler for the Service's virtual servers.
	Scheduler string
	// PersistenceTimeout, when > 0, makes the Service's virtual servers
	// persistent with this timeout in seconds, overriding the Service's
	// sessionAffinityConfig.
	PersistenceTimeout uint32
	// DrainTimeout replaces SyncInput.DrainTimeout for the Service's real
	// servers.
	DrainTimeout time.Duration
}

// Options are the agent's flags that shape the desired state.
type Options struct {
	// Scheduler is --ipvs-scheduler; "" means DefaultScheduler.
	Scheduler string
	// NodePortAddresses is --nodeport-addresses: NodePorts are served on the
	// node addresses inside these prefixes; empty means every node address.
	NodePortAddresses []netip.Prefix
	// ProxyName is the service-proxy-name slicelb answers to; "" serves only
	// Services without the label, like kube-proxy.
	ProxyName string
	// Policies are per-Service overrides keyed by namespace/name; may be nil.
	Policies map[types.NamespacedName]Policy
}

func (o Options) scheduler() string {
	if o.Scheduler == "" {
		return DefaultScheduler
	}
	return o.Scheduler
}

// nodePortAddresses returns the node addresses NodePorts are served on.
func (o Options) nodePortAddresses(n Node) []netip.Addr {
	var out []netip.Addr
	for _, a := range n.Addresses {
		a = a.Unmap()
		if !a.IsValid() || slices.Contains(out, a) {
			continue
		}
		if len(o.NodePortAddresses) == 0 || slices.ContainsFunc(o.NodePortAddresses, func(p netip.Prefix) bool { return p.Contains(a) }) {
			out = append(out, a)
		}
	}
	return out
}
