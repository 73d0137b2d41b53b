package guest

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/slicelb/slicelb/test/vm/netlab"
)

// The VM is node "vm-node"; endpoints on "other-node" stand for pods elsewhere in the cluster (they
// are reachable in the VM, which is exactly what lets a spec see that traffic never goes there).
const (
	nodeName  = "vm-node"
	otherNode = "other-node"
	namespace = "default"
	portName  = "p"
)

// nodeIP and nodeIP6 are the node's InternalIPs, on the dummy device node0 of the root namespace.
var (
	nodeIP  = netip.MustParseAddr("10.0.250.10")
	nodeIP6 = netip.MustParseAddr("fd00:250::10")
)

func nodeObject() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: nodeName},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: nodeIP.String()},
			{Type: corev1.NodeInternalIP, Address: nodeIP6.String()},
		}},
	}
}

type svcOption func(*corev1.Service)

// service is a ClusterIP Service with one port named "p" (port → the pods' podPort).
func service(name, clusterIP string, proto corev1.Protocol, port int32, opts ...svcOption) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: corev1.ServiceSpec{
			Type:       corev1.ServiceTypeClusterIP,
			ClusterIP:  clusterIP,
			ClusterIPs: []string{clusterIP},
			Ports: []corev1.ServicePort{{Name: portName, Protocol: proto, Port: port,
				TargetPort: intstr.FromInt32(podPort)}},
			Selector: map[string]string{"app": name},
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

func nodePort(port int32, policy corev1.ServiceExternalTrafficPolicy) svcOption {
	return func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeNodePort
		s.Spec.Ports[0].NodePort = port
		s.Spec.ExternalTrafficPolicy = policy
	}
}

func externalIP(ip string, policy corev1.ServiceExternalTrafficPolicy) svcOption {
	return func(s *corev1.Service) {
		s.Spec.ExternalIPs = append(s.Spec.ExternalIPs, ip)
		s.Spec.ExternalTrafficPolicy = policy
	}
}

// dualStack adds an IPv6 cluster IP (RequireDualStack).
func dualStack(clusterIP6 string) svcOption {
	return func(s *corev1.Service) {
		s.Spec.ClusterIPs = append(s.Spec.ClusterIPs, clusterIP6)
		s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
		s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
	}
}

func clientIPAffinity(s *corev1.Service) {
	s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
}

// ep is one endpoint of a slice.
type ep struct {
	pod                         *netlab.Host
	node                        string
	ready, serving, terminating bool
}

func ready(p *netlab.Host) ep    { return ep{pod: p, node: nodeName, ready: true, serving: true} }
func remote(p *netlab.Host) ep   { return ep{pod: p, node: otherNode, ready: true, serving: true} }
func notReady(p *netlab.Host) ep { return ep{pod: p, node: nodeName} }
func terminating(p *netlab.Host) ep {
	return ep{pod: p, node: nodeName, serving: true, terminating: true}
}

// endpointSlice is an IPv4 slice of svcName's endpoints with the port "p" → podPort.
func endpointSlice(svcName string, proto corev1.Protocol, eps ...ep) *discoveryv1.EndpointSlice {
	return familySlice(svcName, discoveryv1.AddressTypeIPv4, proto, eps...)
}

// familySlice is a slice of the given address type: IPv6 slices list the pods' IPv6 addresses.
func familySlice(svcName string, family discoveryv1.AddressType, proto corev1.Protocol, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("%s-%s", svcName, strings.ToLower(string(family))),
			Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: family,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To(portName), Protocol: ptr.To(proto), Port: ptr.To[int32](podPort)}},
	}
	for _, e := range eps {
		addr := e.pod.IP
		if family == discoveryv1.AddressTypeIPv6 {
			addr = e.pod.IP6
		}
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses: []string{addr.String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready), Serving: ptr.To(e.serving),
				Terminating: ptr.To(e.terminating)},
			NodeName: ptr.To(e.node),
		})
	}
	return s
}
