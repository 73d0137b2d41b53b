package proxier

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// VIPKind says how a virtual server's address belongs to its Service; it
// decides which traffic policy applies and whether the address is bound on
// slicelb0.
type VIPKind int

const (
	// KindClusterIP is a spec.clusterIPs address (cluster-internal traffic:
	// internalTrafficPolicy).
	KindClusterIP VIPKind = iota
	// KindExternalIP is a spec.externalIPs address (externalTrafficPolicy).
	KindExternalIP
	// KindLoadBalancer is a status.loadBalancer.ingress IP (externalTrafficPolicy).
	KindLoadBalancer
	// KindNodePort is a node address at the port's nodePort
	// (externalTrafficPolicy); never bound on slicelb0.
	KindNodePort
)

// String names the kind.
func (k VIPKind) String() string {
	switch k {
	case KindClusterIP:
		return "ClusterIP"
	case KindExternalIP:
		return "ExternalIP"
	case KindLoadBalancer:
		return "LoadBalancer"
	case KindNodePort:
		return "NodePort"
	default:
		return "Unknown"
	}
}

// External reports whether the kind is reached from outside the cluster,
// i.e. governed by externalTrafficPolicy.
func (k VIPKind) External() bool { return k != KindClusterIP }

type vip struct {
	addr netip.Addr
	kind VIPKind
}

// proxied reports whether slicelb serves svc. Like kube-proxy
// (pkg/proxy/util ShouldSkipService) it skips ExternalName Services and
// Services without a cluster IP (headless: clusterIP None, or not yet
// allocated); and like kube-proxy's informer selector
// "!service.kubernetes.io/service-proxy-name" it leaves Services handed to
// another proxy alone, except those handed to proxyName.
func proxied(svc *corev1.Service, proxyName string) bool {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return false
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		return false
	}
	if name, ok := svc.Labels[LabelServiceProxyName]; ok && (proxyName == "" || name != proxyName) {
		return false
	}
	return true
}

// serviceVIPs returns the addresses bound on slicelb0 for svc, in order:
// every cluster IP (spec.clusterIPs, both families; spec.clusterIP for
// objects written before dual-stack), externalIPs, then the load balancer
// ingress IPs whose ipMode is VIP or unset (ipMode Proxy means the load
// balancer delivers to the node itself, so kube-proxy does not capture the
// IP; KEP-1860). Unparsable and duplicate addresses are dropped.
func serviceVIPs(svc *corev1.Service) []vip {
	var out []vip
	add := func(s string, kind VIPKind) {
		ip, err := netip.ParseAddr(s)
		if err != nil || ip.Zone() != "" {
			return
		}
		ip = ip.Unmap()
		if !ip.IsGlobalUnicast() {
			return // loopback, link-local, multicast and unspecified cannot be VIPs
		}
		for _, v := range out {
			if v.addr == ip {
				return
			}
		}
		out = append(out, vip{addr: ip, kind: kind})
	}
	clusterIPs := svc.Spec.ClusterIPs
	if len(clusterIPs) == 0 {
		clusterIPs = []string{svc.Spec.ClusterIP}
	}
	for _, s := range clusterIPs {
		add(s, KindClusterIP)
	}
	for _, s := range svc.Spec.ExternalIPs {
		add(s, KindExternalIP)
	}
	for _, ing := range svc.Status.LoadBalancer.Ingress {
		if ing.IP != "" && (ing.IPMode == nil || *ing.IPMode == corev1.LoadBalancerIPModeVIP) {
			add(ing.IP, KindLoadBalancer)
		}
	}
	return out
}

// hasNodePorts reports whether svc's ports carry node ports that must be
// served: NodePort and LoadBalancer Services (the latter unless
// allocateLoadBalancerNodePorts is false, in which case nodePort is 0).
func hasNodePorts(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer
}

// protocolOf maps a Service port protocol ("" is TCP, the API default) to
// the one its slice ports carry and the IPVS protocol; IPVS has no other.
func protocolOf(p corev1.Protocol) (corev1.Protocol, ipvs.Protocol, bool) {
	switch p {
	case "", corev1.ProtocolTCP:
		return corev1.ProtocolTCP, ipvs.TCP, true
	case corev1.ProtocolUDP:
		return p, ipvs.UDP, true
	case corev1.ProtocolSCTP:
		return p, ipvs.SCTP, true
	default:
		return "", 0, false
	}
}
