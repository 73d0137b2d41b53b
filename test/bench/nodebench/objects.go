package nodebench

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Namespace holds the bench's objects.
const Namespace = "bench"

// ServicePort is every bench Service's port; endpoints serve TargetPort.
const (
	ServicePort = 80
	TargetPort  = 8080
)

// managedBy marks the slices as another controller's, as the upstream controller would write
// them: both agents read slices of any manager.
const managedBy = "endpointslice-controller.k8s.io"

// EndpointIP k is in 10.128.0.0/9 (k < 2^23): far from the Service range.
func EndpointIP(k int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(128 + k>>16), byte(k >> 8), byte(k)})
}

// ServiceName is Service i's name.
func ServiceName(i int) string { return fmt.Sprintf("svc-%05d", i) }

// NewService is Service i: ClusterIP (allocated by the API server), one TCP port.
func NewService(i int) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: ServiceName(i), Namespace: Namespace},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP,
			Ports: []corev1.ServicePort{{Name: "http", Port: ServicePort, TargetPort: intstr.FromInt32(TargetPort), Protocol: corev1.ProtocolTCP}}},
	}
}

// NewSlice is Service i's EndpointSlice with m ready endpoints, addresses EndpointIP(i*m+j).
func NewSlice(i, m int) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: ServiceName(i) + "-bench", Namespace: Namespace, Labels: map[string]string{
			discoveryv1.LabelServiceName: ServiceName(i), discoveryv1.LabelManagedBy: managedBy,
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](TargetPort), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for j := range m {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{EndpointIP(i*m + j).String()},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
			NodeName:   ptr.To("node-1"),
		})
	}
	return s
}

// ReplaceFirst is the one endpoint change: the slice's first endpoint gets address ip (the old
// real server drains or goes, the new one is added).
func ReplaceFirst(s *discoveryv1.EndpointSlice, ip netip.Addr) *discoveryv1.EndpointSlice {
	out := s.DeepCopy()
	out.Endpoints[0].Addresses = []string{ip.String()}
	return out
}
