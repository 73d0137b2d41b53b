package endpoints

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

const epUID = types.UID("ep-uid")

func selectorless() *corev1.Service {
	return newSvc(func(s *corev1.Service) { s.Spec.Selector = nil })
}

// handEndpoints is a user's Endpoints for the selectorless Service: 10.0.17.100:80.
func handEndpoints(mods ...func(*corev1.Endpoints)) *corev1.Endpoints {
	e := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: testSvc, Namespace: testNS, UID: epUID,
			Labels: map[string]string{"team": "a"},
			Annotations: map[string]string{
				"note": "x",
				"endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00Z",
				"kubectl.kubernetes.io/last-applied-configuration": "{}",
			}},
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.0.17.100"}},
			Ports:     []corev1.EndpointPort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		}},
	}
	for _, m := range mods {
		m(e)
	}
	return e
}

var mirrorPorts = []discoveryv1.EndpointPort{sport("http", 80, corev1.ProtocolTCP)}

func mirrorEP(ip string, ready bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: new(ready)}}
}

// mirroredWant is a mirrored slice to create, written out literally.
func mirroredWant(family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	if ports == nil {
		ports = []discoveryv1.EndpointPort{}
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: testNS, GenerateName: "web-",
			Labels: map[string]string{"team": "a", "kubernetes.io/service-name": testSvc,
				"endpointslice.kubernetes.io/managed-by": "mirroring-controller.slicelb.io"},
			Annotations: map[string]string{"note": "x"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Endpoints", Name: testSvc, UID: epUID,
				Controller: new(true), BlockOwnerDeletion: new(true)}},
		},
		AddressType: family, Ports: ports, Endpoints: eps,
	}
}

func existingMirrored(name string, family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	s := mirroredWant(family, ports, eps...)
	s.Name, s.GenerateName, s.ResourceVersion = name, "", "3"
	return s
}

func TestShouldMirror(t *testing.T) {
	tests := []struct {
		name string
		ep   *corev1.Endpoints
		want bool
	}{
		{"plain", handEndpoints(), true},
		{"nil", nil, false},
		{"skip-mirror label", handEndpoints(func(e *corev1.Endpoints) { e.Labels["endpointslice.kubernetes.io/skip-mirror"] = "true" }), false},
		{"skip-mirror annotation", handEndpoints(func(e *corev1.Endpoints) { e.Annotations["endpointslice.kubernetes.io/skip-mirror"] = "true" }), false},
		{"skip-mirror false", handEndpoints(func(e *corev1.Endpoints) { e.Labels["endpointslice.kubernetes.io/skip-mirror"] = "false" }), true},
		{"written by our Endpoints reconciler", handEndpoints(func(e *corev1.Endpoints) { e.Labels["endpoints.kubernetes.io/managed-by"] = "controller.slicelb.io" }), false},
		{"written by another endpoints controller", handEndpoints(func(e *corev1.Endpoints) { e.Labels["endpoints.kubernetes.io/managed-by"] = "endpoint-controller" }), true},
		{"leader election", handEndpoints(func(e *corev1.Endpoints) { e.Annotations["control-plane.alpha.kubernetes.io/leader"] = "{}" }), false},
	}
	for _, tc := range tests {
		if got := ShouldMirror(tc.ep); got != tc.want {
			t.Errorf("%s: ShouldMirror = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPlanMirror(t *testing.T) {
	ours := existingMirrored("web-m1", v4, mirrorPorts, mirrorEP("10.0.17.100", true))
	podSlice := existingSlice("web-1", v4, httpPorts, readyEP("p1", "10.0.0.1")) // the pod controller's
	upstream := existingMirrored("web-up", v4, mirrorPorts, mirrorEP("10.0.17.100", true))
	upstream.Labels["endpointslice.kubernetes.io/managed-by"] = "endpointslicemirroring-controller.k8s.io"
	oldOwner := existingMirrored("web-old", v4, mirrorPorts, mirrorEP("10.0.17.100", true))
	oldOwner.OwnerReferences[0].UID = "old-ep-uid"
	many := handEndpoints(func(e *corev1.Endpoints) {
		e.Subsets[0].Addresses = nil
		for i := range 1002 {
			a := corev1.EndpointAddress{IP: bigIP(i)}
			if i < 2 {
				e.Subsets[0].NotReadyAddresses = append(e.Subsets[0].NotReadyAddresses, a)
			} else {
				e.Subsets[0].Addresses = append(e.Subsets[0].Addresses, a)
			}
		}
	})
	var manyWant []discoveryv1.Endpoint
	for i := 2; i < 1002; i++ {
		manyWant = append(manyWant, mirrorEP(bigIP(i), true))
	}

	tests := []struct {
		name         string
		svc          *corev1.Service
		ep           *corev1.Endpoints
		existing     []*discoveryv1.EndpointSlice
		opts         MirrorOptions
		want         SlicePlan
		wantProblems []Problem
	}{{
		name: "hand-written 10.0.17.100:80 mirrored; trigger-time and last-applied annotations not copied; other managers' slices untouched",
		svc:  selectorless(), ep: handEndpoints(), existing: []*discoveryv1.EndpointSlice{podSlice, upstream},
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{mirroredWant(v4, mirrorPorts, mirrorEP("10.0.17.100", true))}},
	}, {
		name: "unchanged: no write",
		svc:  selectorless(), ep: handEndpoints(), existing: []*discoveryv1.EndpointSlice{ours},
		want: SlicePlan{Unchanged: 1},
	}, {
		name: "annotation changed on the Endpoints: slice updated",
		svc:  selectorless(), ep: handEndpoints(func(e *corev1.Endpoints) { e.Annotations["note"] = "y" }),
		existing: []*discoveryv1.EndpointSlice{ours},
		want: SlicePlan{Update: []*discoveryv1.EndpointSlice{func() *discoveryv1.EndpointSlice {
			u := ours.DeepCopy()
			u.Annotations["note"] = "y"
			return u
		}()}},
	}, {
		name: "skip-mirror: our mirrored slices deleted, nothing else",
		svc:  selectorless(), ep: handEndpoints(func(e *corev1.Endpoints) { e.Labels["endpointslice.kubernetes.io/skip-mirror"] = "true" }),
		existing: []*discoveryv1.EndpointSlice{ours, podSlice, upstream},
		want:     SlicePlan{Delete: []*discoveryv1.EndpointSlice{ours}},
	}, {
		name: "leader-election Endpoints: not mirrored",
		svc:  selectorless(), ep: handEndpoints(func(e *corev1.Endpoints) { e.Annotations["control-plane.alpha.kubernetes.io/leader"] = "{}" }),
		want: SlicePlan{},
	}, {
		name: "Service gained a selector: our mirrored slices deleted",
		svc:  newSvc(), ep: handEndpoints(), existing: []*discoveryv1.EndpointSlice{ours, podSlice},
		want: SlicePlan{Delete: []*discoveryv1.EndpointSlice{ours}},
	}, {
		name: "Endpoints gone: our mirrored slices deleted",
		svc:  selectorless(), ep: nil, existing: []*discoveryv1.EndpointSlice{ours},
		want: SlicePlan{Delete: []*discoveryv1.EndpointSlice{ours}},
	}, {
		name: "invalid IPs skipped and reported; notReadyAddresses mirrored with ready=false; target, node and hostname copied",
		svc:  selectorless(),
		ep: handEndpoints(func(e *corev1.Endpoints) {
			e.Subsets[0].Addresses = append(e.Subsets[0].Addresses, corev1.EndpointAddress{IP: "not-an-ip"}, corev1.EndpointAddress{IP: "fe80::1%eth0"},
				corev1.EndpointAddress{IP: "10.0.17.101", Hostname: "db-0", NodeName: new("node-a"),
					TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: testNS, Name: "db-0"}})
			e.Subsets[0].NotReadyAddresses = []corev1.EndpointAddress{{IP: "10.0.17.102"}}
		}),
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{mirroredWant(v4, mirrorPorts,
			mirrorEP("10.0.17.100", true),
			discoveryv1.Endpoint{Addresses: []string{"10.0.17.101"}, Conditions: discoveryv1.EndpointConditions{Ready: new(true)},
				Hostname: new("db-0"), NodeName: new("node-a"), TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: testNS, Name: "db-0"}},
			mirrorEP("10.0.17.102", false),
		)}},
		wantProblems: []Problem{{Reason: ReasonInvalidIPAddress, Message: "Skipped 2 invalid IP addresses when mirroring to EndpointSlices"}},
	}, {
		name: "more than 1000 addresses in a subset: ready ones first, the rest dropped and reported",
		svc:  selectorless(), ep: many,
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{mirroredWant(v4, mirrorPorts, manyWant...)}},
		wantProblems: []Problem{{Reason: ReasonTooManyAddresses,
			Message: "A max of 1000 addresses can be mirrored to EndpointSlices per Endpoints subset. 2 addresses were skipped"}},
	}, {
		name: "dual-stack subsets: one slice per subset and family (IPv4 first, then by port list); a port-less subset gets a port-less slice",
		svc:  selectorless(),
		ep: handEndpoints(func(e *corev1.Endpoints) {
			e.Subsets = []corev1.EndpointSubset{
				{Addresses: []corev1.EndpointAddress{{IP: "10.0.17.100"}, {IP: "fd00::17"}}, Ports: []corev1.EndpointPort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}},
				{Addresses: []corev1.EndpointAddress{{IP: "10.0.17.200"}}, Ports: []corev1.EndpointPort{{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}}},
				{Addresses: []corev1.EndpointAddress{{IP: "fd00::99"}}},
			}
		}),
		want: SlicePlan{Create: []*discoveryv1.EndpointSlice{
			mirroredWant(v4, []discoveryv1.EndpointPort{sport("dns", 53, corev1.ProtocolUDP)}, mirrorEP("10.0.17.200", true)),
			mirroredWant(v4, mirrorPorts, mirrorEP("10.0.17.100", true)),
			mirroredWant(v6, mirrorPorts, mirrorEP("fd00::17", true)),
			mirroredWant(v6, nil, mirrorEP("fd00::99", true)),
		}},
	}, {
		name: "slice left by an older Endpoints of the same name: deleted, not reused",
		svc:  selectorless(), ep: handEndpoints(), existing: []*discoveryv1.EndpointSlice{oldOwner},
		want: SlicePlan{
			Create: []*discoveryv1.EndpointSlice{mirroredWant(v4, mirrorPorts, mirrorEP("10.0.17.100", true))},
			Delete: []*discoveryv1.EndpointSlice{oldOwner},
		},
	}, {
		name: "ports changed: the old slice is updated into the new port list",
		svc:  selectorless(), ep: handEndpoints(func(e *corev1.Endpoints) { e.Subsets[0].Ports[0].Port = 8080 }),
		existing: []*discoveryv1.EndpointSlice{ours},
		want: SlicePlan{Update: []*discoveryv1.EndpointSlice{func() *discoveryv1.EndpointSlice {
			u := ours.DeepCopy()
			u.Ports = []discoveryv1.EndpointPort{sport("http", 8080, corev1.ProtocolTCP)}
			return u
		}()}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before []*discoveryv1.EndpointSlice
			for _, s := range tc.existing {
				before = append(before, s.DeepCopy())
			}
			got, problems := PlanMirror(tc.svc, tc.ep, tc.existing, tc.opts)
			diff(t, "plan", tc.want, got)
			diff(t, "problems", tc.wantProblems, problems)
			diff(t, "existing (must not be mutated)", before, tc.existing)
		})
	}
}

// TestPlanMirrorConverges applies mirroring plans and checks the next plan is a no-op.
func TestPlanMirrorConverges(t *testing.T) {
	ep := handEndpoints(func(e *corev1.Endpoints) {
		for i := range 30 {
			e.Subsets[0].Addresses = append(e.Subsets[0].Addresses, corev1.EndpointAddress{IP: fmt.Sprintf("fd00::%x", i+1)})
		}
	})
	gen := 0
	plan, _ := PlanMirror(selectorless(), ep, nil, MirrorOptions{MaxAddressesPerSubset: 10})
	state := applyPlan(t, nil, plan, &gen)
	if len(state) != 2 || len(state[0].Endpoints)+len(state[1].Endpoints) != 10 {
		t.Fatalf("want 10 addresses (cap per subset) over 2 slices, got %d slices", len(state))
	}
	plan, _ = PlanMirror(selectorless(), ep, state, MirrorOptions{MaxAddressesPerSubset: 10})
	diff(t, "second plan", SlicePlan{Unchanged: 2}, plan)
}
