package ctrlbench

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

func slice(addrs map[string]bool) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{}
	for a, ready := range addrs {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{a}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)}})
	}
	return s
}

func endpoints(ready, notReady int) *corev1.Endpoints {
	var sub corev1.EndpointSubset
	for range ready {
		sub.Addresses = append(sub.Addresses, corev1.EndpointAddress{IP: "10.0.0.1"})
	}
	for range notReady {
		sub.NotReadyAddresses = append(sub.NotReadyAddresses, corev1.EndpointAddress{IP: "10.0.0.2"})
	}
	return &corev1.Endpoints{Subsets: []corev1.EndpointSubset{sub}}
}

// The tracker converges only when every Service's slices (all of them, deduplicated) and its
// Endpoints match, and un-converges when one stops matching.
func TestTracker(t *testing.T) {
	tr := NewTracker()
	tr.SetExpect(map[string]Expect{"a": {Ready: 2, Endpoints: true}, "m": {Ready: 1}})
	check := func(step string, wantOK int, wantAll bool) {
		t.Helper()
		ok, targets, at := tr.Progress()
		if ok != wantOK || targets != 3 || at.IsZero() == wantAll {
			t.Fatalf("%s: progress %d/%d all=%v, want %d/3 all=%v", step, ok, targets, !at.IsZero(), wantOK, wantAll)
		}
	}
	check("empty", 0, false)
	tr.OnSlice("a-1", "a", slice(map[string]bool{"10.1.0.1": true}))
	tr.OnSlice("a-2", "a", slice(map[string]bool{"10.1.0.1": true, "10.1.0.2": true})) // duplicate address across slices
	check("slices of a", 1, false)
	tr.OnEndpoints("a", endpoints(2, 0))
	check("endpoints of a", 2, false)
	tr.OnSlice("m-1", "m", slice(map[string]bool{"10.2.0.1": true}))
	check("all", 3, true)
	tr.OnSlice("a-2", "a", slice(map[string]bool{"10.1.0.2": false}))
	check("a's pod not ready", 2, false)
	if _, seen := tr.SeenNotReady()["10.1.0.2"]; !seen {
		t.Fatal("the not-ready address was not recorded")
	}
	tr.SetExpect(map[string]Expect{"a": {Ready: 1, NotReady: 1, Endpoints: true}, "m": {Ready: 1}})
	check("new expectation, Endpoints behind", 2, false)
	tr.OnEndpoints("a", endpoints(1, 1))
	check("new expectation met", 3, true)
	tr.OnSlice("m-1", "m", nil)
	check("slice deleted", 2, false)
}
