package agent

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

func fullMeta(annotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: "web", Namespace: "default", UID: "u1", ResourceVersion: "42", Generation: 3,
		Labels:          map[string]string{"kubernetes.io/service-name": "web"},
		Annotations:     annotations,
		ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kube-controller-manager"}},
		OwnerReferences: []metav1.OwnerReference{{Name: "web", Kind: "Service"}},
		Finalizers:      []string{"x"},
	}
}

func slimmedMeta(annotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name: "web", Namespace: "default", UID: "u1", ResourceVersion: "42", Generation: 3,
		Labels:      map[string]string{"kubernetes.io/service-name": "web"},
		Annotations: annotations,
	}
}

func TestTransforms(t *testing.T) {
	svcSpec := corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10",
		Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}
	lb := corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "1.2.3.4"}}}
	tests := []struct {
		name string
		fn   func(any) (any, error)
		in   any
		want any
	}{
		{
			name: "service keeps spec, labels and LB status",
			fn:   TransformService,
			in: &corev1.Service{ObjectMeta: fullMeta(map[string]string{"a": "b"}), Spec: svcSpec,
				Status: corev1.ServiceStatus{LoadBalancer: lb, Conditions: []metav1.Condition{{Type: "X"}}}},
			want: &corev1.Service{ObjectMeta: slimmedMeta(nil), Spec: svcSpec,
				Status: corev1.ServiceStatus{LoadBalancer: lb}},
		},
		{
			name: "slice keeps trigger time, addresses, conditions and node name",
			fn:   TransformEndpointSlice,
			in: &discoveryv1.EndpointSlice{
				ObjectMeta: fullMeta(map[string]string{
					AnnotationLastChangeTriggerTime: "2026-01-01T00:00:00Z", "other": "x"}),
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
				Endpoints: []discoveryv1.Endpoint{{
					Addresses:  []string{"10.244.1.5"},
					Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
					NodeName:   ptr.To("node-a"),
					Hostname:   ptr.To("web-0"),
					Zone:       ptr.To("z1"),
					TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: "web-0"},
				}},
			},
			want: &discoveryv1.EndpointSlice{
				ObjectMeta:  slimmedMeta(map[string]string{AnnotationLastChangeTriggerTime: "2026-01-01T00:00:00Z"}),
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To[int32](8080)}},
				Endpoints: []discoveryv1.Endpoint{{
					Addresses:  []string{"10.244.1.5"},
					Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
					NodeName:   ptr.To("node-a"),
				}},
			},
		},
		{
			name: "node keeps only addresses",
			fn:   TransformNode,
			in: &corev1.Node{ObjectMeta: fullMeta(nil),
				Spec: corev1.NodeSpec{PodCIDR: "10.244.1.0/24", Taints: []corev1.Taint{{Key: "k"}}},
				Status: corev1.NodeStatus{
					Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.1.10"}},
					Images:    []corev1.ContainerImage{{Names: []string{"big"}}},
				}},
			want: &corev1.Node{ObjectMeta: slimmedMeta(nil),
				Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "192.168.1.10"}}}},
		},
		{
			name: "tombstones pass through",
			fn:   TransformService,
			in:   cache.DeletedFinalStateUnknown{Key: "default/web"},
			want: cache.DeletedFinalStateUnknown{Key: "default/web"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.fn(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("transform:\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}
