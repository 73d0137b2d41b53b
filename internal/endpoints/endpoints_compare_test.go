package endpoints

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestMergeEndpoints(t *testing.T) {
	desired, _ := DesiredEndpoints(Input{Service: newSvc(svcPorts(
		corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
		corev1.ServicePort{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP},
	)), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1"), newPod("p2", "10.0.0.2"), mod(newPod("p3", "10.0.0.3"), notReady)}})

	// stored is what the API server returns for desired after an older sync.
	stored := func(mods ...func(*corev1.Endpoints)) *corev1.Endpoints {
		e := desired.DeepCopy()
		e.ResourceVersion = "42"
		e.Annotations["endpoints.kubernetes.io/last-change-trigger-time"] = "2026-01-01T00:00:00Z"
		for _, m := range mods {
			m(e)
		}
		return e
	}
	// Another writer's layout of the same content: one subset per port, addresses reversed,
	// target resource versions set.
	reordered := func(e *corev1.Endpoints) {
		a1, a2, a3 := addr("p1", "10.0.0.1"), addr("p2", "10.0.0.2"), addr("p3", "10.0.0.3")
		a1.TargetRef.ResourceVersion = "99"
		e.Subsets = []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{a2, a1}, NotReadyAddresses: []corev1.EndpointAddress{a3}, Ports: []corev1.EndpointPort{eport("dns-tcp", 53, corev1.ProtocolTCP)}},
			{Addresses: []corev1.EndpointAddress{a1, a2}, NotReadyAddresses: []corev1.EndpointAddress{a3}, Ports: []corev1.EndpointPort{eport("dns", 53, corev1.ProtocolUDP)}},
		}
	}
	withNewContent := func(e *corev1.Endpoints) {
		e.Subsets = desired.DeepCopy().Subsets
		e.Annotations["endpoints.kubernetes.io/last-change-trigger-time"] = triggerStr
	}

	tests := []struct {
		name      string
		existing  *corev1.Endpoints
		want      *corev1.Endpoints
		wantWrite bool
	}{{
		name: "no existing object: create the desired one", existing: nil, want: desired, wantWrite: true,
	}, {
		name: "only the trigger time differs: no write", existing: stored(),
		want: stored(withNewContent), wantWrite: false,
	}, {
		name: "same content in another writer's layout: no write", existing: stored(reordered),
		want: stored(withNewContent), wantWrite: false,
	}, {
		name:     "a foreign annotation is kept and does not cause a write",
		existing: stored(func(e *corev1.Endpoints) { e.Annotations["note"] = "x" }),
		want: stored(withNewContent, func(e *corev1.Endpoints) {
			e.Annotations["note"] = "x"
		}), wantWrite: false,
	}, {
		name:     "a missing managed-by label is written",
		existing: stored(func(e *corev1.Endpoints) { delete(e.Labels, "endpoints.kubernetes.io/managed-by") }),
		want:     stored(withNewContent), wantWrite: true,
	}, {
		name:     "changed subsets are written",
		existing: stored(func(e *corev1.Endpoints) { e.Subsets = e.Subsets[:0] }),
		want:     stored(withNewContent), wantWrite: true,
	}, {
		name:     "a stale over-capacity annotation is removed",
		existing: stored(func(e *corev1.Endpoints) { e.Annotations["endpoints.kubernetes.io/over-capacity"] = "truncated" }),
		want:     stored(withNewContent), wantWrite: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before *corev1.Endpoints
			if tc.existing != nil {
				before = tc.existing.DeepCopy()
			}
			got, write := MergeEndpoints(tc.existing, desired)
			diff(t, "merged", tc.want, got)
			if write != tc.wantWrite {
				t.Errorf("write = %v, want %v", write, tc.wantWrite)
			}
			diff(t, "existing (must not be mutated)", before, tc.existing)
		})
	}
}

func TestEndpointsEqual(t *testing.T) {
	a, _ := DesiredEndpoints(Input{Service: newSvc(), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1")}})
	b := a.DeepCopy()
	b.Annotations["endpoints.kubernetes.io/last-change-trigger-time"] = "2020-01-01T00:00:00Z"
	c := a.DeepCopy()
	c.Subsets[0].Addresses[0].NodeName = new("node-b")
	d := a.DeepCopy()
	d.Labels["x"] = "y"
	e := a.DeepCopy()
	e.Annotations["x"] = "y"
	tests := []struct {
		name string
		x, y *corev1.Endpoints
		want bool
	}{
		{"identical", a, a.DeepCopy(), true},
		{"trigger time ignored", a, b, true},
		{"node differs", a, c, false},
		{"label differs", a, d, false},
		{"other annotation differs", a, e, false},
		{"nil vs object", nil, a, false},
		{"nil vs nil", nil, nil, true},
	}
	for _, tc := range tests {
		if got := EndpointsEqual(tc.x, tc.y); got != tc.want {
			t.Errorf("%s: EndpointsEqual = %v, want %v", tc.name, got, tc.want)
		}
	}
}
