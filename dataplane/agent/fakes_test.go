package agent

import (
	"errors"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// failingNAT fails its next Sync with err, then behaves as the wrapped port.
type failingNAT struct {
	NAT
	mu  sync.Mutex
	err error
}

func (f *failingNAT) Sync(m []ipvs.VirtualServerKey, h []proxier.Hairpin) (bool, error) {
	f.mu.Lock()
	err := f.err
	f.err = nil
	f.mu.Unlock()
	if err != nil {
		return false, err
	}
	return f.NAT.Sync(m, h)
}

var errInjected = errors.New("netlink: injected failure")

// Object builders for the scenarios.

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func vsKey(proto ipvs.Protocol, a string, port uint16) ipvs.VirtualServerKey {
	return ipvs.VirtualServerKey{Address: addr(a), Protocol: proto, Port: port}
}

func rs(a string, port uint16, weight int) ipvs.RealServer {
	return ipvs.RealServer{Address: addr(a), Port: port, Weight: weight}
}

func vs(proto ipvs.Protocol, a string, port uint16) ipvs.VirtualServer {
	return ipvs.VirtualServer{Address: addr(a), Protocol: proto, Port: port, Scheduler: "rr"}
}

func node(name string, addresses ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	for _, a := range addresses {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a})
	}
	return n
}

type portSpec struct {
	name     string
	proto    corev1.Protocol
	port     int32
	nodePort int32
}

func service(name, clusterIP string, typ corev1.ServiceType, ports ...portSpec) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.ServiceSpec{Type: typ, ClusterIP: clusterIP, ClusterIPs: []string{clusterIP},
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}},
	}
	if typ != corev1.ServiceTypeClusterIP {
		s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	for _, p := range ports {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: p.name, Protocol: p.proto, Port: p.port,
			NodePort: p.nodePort, TargetPort: intstr.FromInt32(p.port)})
	}
	return s
}

type ep struct {
	ip    string
	node  string
	ready bool
}

type slicePort struct {
	name  string
	proto corev1.Protocol
	port  int32
}

func endpointSlice(svcName, name string, ports []slicePort, eps ...ep) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name,
			Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: discoveryv1.AddressTypeIPv4,
	}
	for _, p := range ports {
		s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: ptr.To(p.name), Protocol: ptr.To(p.proto), Port: ptr.To(p.port)})
	}
	for _, e := range eps {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{e.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(e.ready), Serving: ptr.To(e.ready), Terminating: ptr.To(false)},
			NodeName:   ptr.To(e.node),
		})
	}
	return s
}
