package endpoints

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// bigPods returns n ready pods q0000.. whose IPs sort the same as strings and as numbers
// (10.1.X.YYY with one-digit X and three-digit YYY), so the expected truncation is easy to state.
func bigPods(n int) []*corev1.Pod {
	out := make([]*corev1.Pod, n)
	for i := range out {
		out[i] = newPod(fmt.Sprintf("q%04d", i), bigIP(i))
	}
	return out
}

func bigIP(i int) string { return fmt.Sprintf("10.1.%d.%d", 1+i/155, 100+i%155) }

func bigAddrs(from, to int) []corev1.EndpointAddress {
	var out []corev1.EndpointAddress
	for i := from; i < to; i++ {
		out = append(out, addr(fmt.Sprintf("q%04d", i), bigIP(i)))
	}
	return out
}

func TestDesiredEndpointsTruncation(t *testing.T) {
	truncated := map[string]string{"endpoints.kubernetes.io/over-capacity": "truncated", "endpoints.kubernetes.io/last-change-trigger-time": triggerStr}

	mixed := bigPods(1001)
	for _, p := range mixed[900:] {
		notReady(p)
	}
	split := bigPods(1200)
	for i, p := range split {
		port := int32(8080)
		if i%2 == 1 {
			port = 9090
		}
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "web", ContainerPort: port, Protocol: corev1.ProtocolTCP}}
	}
	evenOdd := func(parity, limit int) []corev1.EndpointAddress {
		var out []corev1.EndpointAddress
		for i := parity; i < 1200 && len(out) < limit; i += 2 {
			out = append(out, addr(fmt.Sprintf("q%04d", i), bigIP(i)))
		}
		return out
	}

	tests := []struct {
		name string
		in   Input
		want *corev1.Endpoints
	}{{
		name: "1000 pods: exactly at the cap, no annotation",
		in:   Input{Service: newSvc(), TriggerTime: trigger, Pods: bigPods(1000)},
		want: wantEndpoints(nil, nil, corev1.EndpointSubset{Addresses: bigAddrs(0, 1000), Ports: httpEPorts}),
	}, {
		name: "1001 ready pods: the last by IP is cut and the Endpoints are marked truncated",
		in:   Input{Service: newSvc(), TriggerTime: trigger, Pods: bigPods(1001)},
		want: wantEndpoints(nil, truncated, corev1.EndpointSubset{Addresses: bigAddrs(0, 1000), Ports: httpEPorts}),
	}, {
		name: "900 ready + 101 not ready: ready kept first, one not-ready cut",
		in:   Input{Service: newSvc(), TriggerTime: trigger, Pods: mixed},
		want: wantEndpoints(nil, truncated, corev1.EndpointSubset{Addresses: bigAddrs(0, 900), NotReadyAddresses: bigAddrs(900, 1000), Ports: httpEPorts}),
	}, {
		name: "1200 ready pods in two subsets of 600: the budget is shared in proportion (500 each)",
		in: Input{Service: newSvc(svcPorts(corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("web")})),
			TriggerTime: trigger, Pods: split},
		want: wantEndpoints(nil, truncated,
			corev1.EndpointSubset{Addresses: evenOdd(0, 500), Ports: httpEPorts},
			corev1.EndpointSubset{Addresses: evenOdd(1, 500), Ports: []corev1.EndpointPort{eport("http", 9090, corev1.ProtocolTCP)}},
		),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := DesiredEndpoints(tc.in)
			diff(t, "Endpoints", tc.want, got)
		})
	}
}

// TestTruncationAnnotationRemovedBelowCap walks an Endpoints object through 1001 → 1000 pods: the
// over-capacity annotation is written, then removed by the next write.
func TestTruncationAnnotationRemovedBelowCap(t *testing.T) {
	over, _ := DesiredEndpoints(Input{Service: newSvc(), TriggerTime: trigger, Pods: bigPods(1001)})
	existing := over.DeepCopy()
	existing.ResourceVersion = "5"
	existing.Annotations["owner-note"] = "kept" // another writer's annotation survives

	below, _ := DesiredEndpoints(Input{Service: newSvc(), Pods: bigPods(1000)})
	got, write := MergeEndpoints(existing, below)
	want := wantEndpoints(nil, map[string]string{"owner-note": "kept"}, corev1.EndpointSubset{Addresses: bigAddrs(0, 1000), Ports: httpEPorts})
	want.ResourceVersion = "5"
	if !write {
		t.Errorf("MergeEndpoints: write = false, want true (annotation must be removed)")
	}
	diff(t, "merged Endpoints", want, got)
}
