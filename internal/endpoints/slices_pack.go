package endpoints

import (
	"cmp"
	"slices"
	"strings"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// sliceTemplate is what every slice of one owner must carry besides its endpoints and ports.
type sliceTemplate struct {
	namespace    string
	generateName string
	labels       map[string]string
	owner        metav1.OwnerReference
	// exactAnnotations, when non-nil, is the exact annotation set every slice must have
	// (mirroring copies the Endpoints' annotations); when nil the annotations of existing slices
	// are left as they are.
	exactAnnotations map[string]string
	// max is the maximum number of endpoints per slice.
	max int
}

// groupPlan is the outcome of packing one group.
type groupPlan struct {
	create, update, del, unchanged []*discoveryv1.EndpointSlice
}

// metaEqual reports whether an existing slice already carries the template's labels (and
// annotations, when managed exactly).
func (t *sliceTemplate) metaEqual(s *discoveryv1.EndpointSlice) bool {
	return stringMapsEqual(s.Labels, t.labels) &&
		(t.exactAnnotations == nil || stringMapsEqual(s.Annotations, t.exactAnnotations))
}

// refresh returns a deep copy of an existing slice with the template's metadata applied; name,
// resourceVersion and everything else are kept, so the update is a precondition-checked write.
func (t *sliceTemplate) refresh(s *discoveryv1.EndpointSlice) *discoveryv1.EndpointSlice {
	u := s.DeepCopy()
	u.Labels = withoutKeys(t.labels)
	if t.exactAnnotations != nil {
		u.Annotations = withoutKeys(t.exactAnnotations)
	}
	return u
}

// newSlice returns a slice to create for group g, named by the API server from generateName.
func (t *sliceTemplate) newSlice(family discoveryv1.AddressType, ports []discoveryv1.EndpointPort) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:       t.namespace,
			GenerateName:    t.generateName,
			Labels:          withoutKeys(t.labels),
			OwnerReferences: []metav1.OwnerReference{*t.owner.DeepCopy()},
		},
		AddressType: family,
		Ports:       make([]discoveryv1.EndpointPort, 0, len(ports)),
		Endpoints:   []discoveryv1.Endpoint{},
	}
	if t.exactAnnotations != nil {
		s.Annotations = withoutKeys(t.exactAnnotations)
	}
	for i := range ports {
		s.Ports = append(s.Ports, *ports[i].DeepCopy())
	}
	return s
}

// packGroup reconciles the existing slices of one (family, port list) group with its desired
// endpoints, following upstream reconcileByPortMapping so that churn stays minimal:
//  1. in every existing slice keep the endpoints still desired (replaced by their desired
//     version), drop the others; a slice whose endpoints or metadata changed is updated, one left
//     empty is deleted, one with no change is left untouched;
//  2. fill the slices already being updated (fullest first) with the endpoints not yet placed;
//  3. place what is left into the unchanged slice that ends closest to full, when less than a
//     slice's worth is left, else into new slices.
//
// existing must be sorted by name; the result is deterministic. A slice holding more than max
// endpoints (max was lowered) keeps its first max and the rest are placed like new ones.
func (t *sliceTemplate) packGroup(g *sliceGroup, existing []*discoveryv1.EndpointSlice) groupPlan {
	index := make(map[string]int, len(g.endpoints))
	for i := range g.endpoints {
		index[endpointKey(&g.endpoints[i])] = i
	}
	placed := make([]bool, len(g.endpoints))
	var p groupPlan
	for _, es := range existing {
		kept := make([]discoveryv1.Endpoint, 0, len(es.Endpoints))
		changed := false
		for i := range es.Endpoints {
			cur := &es.Endpoints[i]
			j, ok := index[endpointKey(cur)]
			if !ok || placed[j] || len(kept) >= t.max {
				changed = true // gone, duplicated, or over the limit
				continue
			}
			placed[j] = true
			kept = append(kept, *g.endpoints[j].DeepCopy())
			changed = changed || !endpointEqual(&g.endpoints[j], cur)
		}
		switch {
		case len(kept) == 0:
			p.del = append(p.del, es)
		case changed || !t.metaEqual(es):
			u := t.refresh(es)
			u.Endpoints = kept
			p.update = append(p.update, u)
		default:
			p.unchanged = append(p.unchanged, es)
		}
	}

	remaining := make([]int, 0, len(g.endpoints))
	for i := range g.endpoints {
		if !placed[i] {
			remaining = append(remaining, i)
		}
	}
	fill := func(s *discoveryv1.EndpointSlice) {
		for len(remaining) > 0 && len(s.Endpoints) < t.max {
			s.Endpoints = append(s.Endpoints, *g.endpoints[remaining[0]].DeepCopy())
			remaining = remaining[1:]
		}
	}

	// 2. Slices being written anyway absorb new endpoints first: no extra write.
	slices.SortStableFunc(p.update, func(a, b *discoveryv1.EndpointSlice) int {
		return cmp.Compare(len(b.Endpoints), len(a.Endpoints))
	})
	for _, u := range p.update {
		fill(u)
	}

	// 3. Leftovers: one unchanged slice that fits them all, or new slices.
	for len(remaining) > 0 {
		var target *discoveryv1.EndpointSlice
		if len(remaining) < t.max {
			if k := sliceToFill(p.unchanged, len(remaining), t.max); k >= 0 {
				target = t.refresh(p.unchanged[k])
				p.unchanged = slices.Delete(p.unchanged, k, k+1)
				p.update = append(p.update, target)
			}
		}
		if target == nil {
			target = t.newSlice(g.family, g.ports)
			p.create = append(p.create, target)
		}
		fill(target)
	}
	return p
}

// sliceToFill returns the index of the slice that will be closest to full once n endpoints are
// added without exceeding max, or -1 (upstream getSliceToFill). Ties go to the first.
func sliceToFill(candidates []*discoveryv1.EndpointSlice, n, maxPerSlice int) int {
	best, bestGap := -1, maxPerSlice
	for i, s := range candidates {
		gap := maxPerSlice - (n + len(s.Endpoints))
		if gap >= 0 && gap < bestGap {
			best, bestGap = i, gap
		}
	}
	return best
}

// sortSlicesByName orders slices by name (then UID, for robustness).
func sortSlicesByName(list []*discoveryv1.EndpointSlice) {
	slices.SortStableFunc(list, func(a, b *discoveryv1.EndpointSlice) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(string(a.UID), string(b.UID)))
	})
}
