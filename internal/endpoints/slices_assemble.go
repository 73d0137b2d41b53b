package endpoints

import (
	"slices"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// controllerRef is the controller ownerReference of slices to their v1 owner (Service or
// Endpoints), so that the garbage collector removes them with it and nothing else adopts them.
func controllerRef(kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{
		APIVersion:         "v1",
		Kind:               kind,
		Name:               name,
		UID:                uid,
		Controller:         new(true),
		BlockOwnerDeletion: new(true),
	}
}

// plan packs every desired group against the existing slices of ours and assembles the whole plan:
//   - ours not owned by (ownerKind, ownerUID) or of a family not in families are deleted;
//   - existing groups with no desired endpoints are deleted;
//   - with placeholderFamily set and no desired endpoints at all, one empty slice of that family
//     is kept (if an identical one exists) or created;
//   - a create paired with a delete of the same address type becomes an update of the slice that
//     would be deleted (upstream finalize): one write instead of two, and no window where the
//     endpoints are missing.
func (t *sliceTemplate) plan(groups []sliceGroup, ours []*discoveryv1.EndpointSlice, families []discoveryv1.AddressType,
	ownerKind string, ownerUID types.UID, placeholderFamily discoveryv1.AddressType) SlicePlan {
	sortSlicesByName(ours)
	owned := func(s *discoveryv1.EndpointSlice) bool { return ownedBy(s, ownerKind, ownerUID) }
	var plan SlicePlan
	var deletes []*discoveryv1.EndpointSlice
	byID := map[groupID][]*discoveryv1.EndpointSlice{}
	var order []groupID
	for _, s := range ours {
		if !owned(s) || !slices.Contains(families, s.AddressType) {
			deletes = append(deletes, s)
			continue
		}
		id := groupID{family: s.AddressType, portKey: portListKey(fromSlicePorts(s.Ports))}
		if _, seen := byID[id]; !seen {
			order = append(order, id)
		}
		byID[id] = append(byID[id], s)
	}

	desiredCount := 0
	for i := range groups {
		g := &groups[i]
		id := groupID{family: g.family, portKey: g.portKey}
		gp := t.packGroup(g, byID[id])
		delete(byID, id)
		plan.Create = append(plan.Create, gp.create...)
		plan.Update = append(plan.Update, gp.update...)
		deletes = append(deletes, gp.del...)
		plan.Unchanged += len(gp.unchanged)
		desiredCount += len(g.endpoints)
	}
	for _, id := range order {
		deletes = append(deletes, byID[id]...) // port lists no longer desired
	}

	if placeholderFamily != "" && desiredCount == 0 {
		placeholder := t.newSlice(placeholderFamily, nil)
		if k := slices.IndexFunc(deletes, func(s *discoveryv1.EndpointSlice) bool {
			return owned(s) && s.AddressType == placeholderFamily && len(s.Ports) == 0 && len(s.Endpoints) == 0 && t.metaEqual(s)
		}); k >= 0 {
			deletes = slices.Delete(deletes, k, k+1)
			plan.Unchanged++
		} else {
			plan.Create = append(plan.Create, placeholder)
		}
	}

	// Recycle: turn each create into an update of a slice that would be deleted.
	sortSlicesByName(deletes)
	creates := plan.Create[:0]
	for _, c := range plan.Create {
		k := slices.IndexFunc(deletes, func(s *discoveryv1.EndpointSlice) bool {
			return s.AddressType == c.AddressType && owned(s)
		})
		if k < 0 {
			creates = append(creates, c)
			continue
		}
		u := t.refresh(deletes[k])
		u.Ports, u.Endpoints = c.Ports, c.Endpoints
		plan.Update = append(plan.Update, u)
		deletes = slices.Delete(deletes, k, k+1)
	}
	plan.Create = nilIfEmpty(creates)
	plan.Delete = nilIfEmpty(deletes)
	plan.Update = nilIfEmpty(plan.Update)
	sortSlicesByName(plan.Update)
	return plan
}

// nilIfEmpty normalises empty lists to nil so that plans compare and print uniformly.
func nilIfEmpty(list []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	if len(list) == 0 {
		return nil
	}
	return list
}
