package endpoints

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// FuzzDesiredEndpoints checks the Endpoints object's invariants: subsets are canonical (repacking
// them changes nothing), every address is of the primary family and appears once per port, the
// total stays within MaxEndpointsAddresses with the over-capacity annotation exactly when pods were
// cut, and merging the result into itself (a resync) needs no write.
func FuzzDesiredEndpoints(f *testing.F) {
	f.Add([]byte{}, uint8(0))
	f.Add([]byte{1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, uint8(40))
	f.Add([]byte{2, 1, 2, 0, 3, 0, 7, 7, 7}, uint8(63))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		w := buildWorld(&byteSource{b: data}, int(n%64))
		ep, _ := DesiredEndpoints(w.in)
		if !reflect.DeepEqual(repackSubsets(ep.Subsets), ep.Subsets) {
			t.Fatalf("subsets not canonical: %+v", ep.Subsets)
		}
		family := primaryFamily(w.in.Service)
		total := 0
		for _, s := range ep.Subsets {
			seen := map[string]bool{}
			for _, list := range [][]corev1.EndpointAddress{s.Addresses, s.NotReadyAddresses} {
				for _, a := range list {
					if _, fam, ok := parseIP(a.IP); !ok || fam != family {
						t.Fatalf("address %q is not of the primary family %s", a.IP, family)
					}
					if seen[a.IP] {
						t.Fatalf("address %q twice in one subset", a.IP)
					}
					seen[a.IP] = true
					total++
				}
			}
		}
		_, truncated := ep.Annotations[corev1.EndpointsOverCapacity]
		if total > MaxEndpointsAddresses || truncated {
			t.Fatalf("%d addresses, truncated=%v, from at most 63 pods", total, truncated)
		}
		if _, write := MergeEndpoints(ep, ep); write {
			t.Fatalf("merging the desired object into itself asks for a write")
		}
	})
}
