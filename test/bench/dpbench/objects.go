package dpbench

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// World is n ClusterIP Services with one TCP port each, every one with a slice of m ready endpoints.
type World struct {
	Services []*corev1.Service
	Slices   []*discoveryv1.EndpointSlice
}

// clusterIP i is in 10.96.0.0/16 (up to 64,000 Services).
func clusterIP(i int) string {
	return netip.AddrFrom4([4]byte{10, 96, byte(i / 250), byte(i%250 + 1)}).String()
}

// endpointIP k is in 10.128.0.0/9.
func endpointIP(k int) string {
	return netip.AddrFrom4([4]byte{10, byte(128 + k>>16), byte(k >> 8), byte(k)}).String()
}

// NewWorld builds n Services × m endpoints.
func NewWorld(n, m int) World {
	var w World
	for i := range n {
		name := fmt.Sprintf("svc-%05d", i)
		w.Services = append(w.Services, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "bench", UID: types.UID(name)},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: clusterIP(i), ClusterIPs: []string{clusterIP(i)},
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}}},
		})
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name + "-abc", Namespace: "bench", Labels: map[string]string{discoveryv1.LabelServiceName: name}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
		}
		for j := range m {
			slice.Endpoints = append(slice.Endpoints, discoveryv1.Endpoint{
				Addresses:  []string{endpointIP(i*m + j)},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)},
				NodeName:   ptr.To("node-1"),
			})
		}
		w.Slices = append(w.Slices, slice)
	}
	return w
}

// ReplaceEndpoint returns a World whose Service i's first endpoint has a new address (one
// endpoint change: the old real server starts draining, the new one is added). Only that slice is
// copied.
func (w World) ReplaceEndpoint(i, newK int) World {
	out := World{Services: w.Services, Slices: append([]*discoveryv1.EndpointSlice(nil), w.Slices...)}
	s := w.Slices[i].DeepCopy()
	s.Endpoints[0].Addresses = []string{endpointIP(newK)}
	out.Slices[i] = s
	return out
}
