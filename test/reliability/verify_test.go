package reliability

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// verdict compares what the controller wrote for one Service with a fresh computation by
// internal/endpoints from the objects now in the API server.
type verdict struct {
	// Mismatches say how the Endpoints or the slices differ from the fresh computation.
	Mismatches []string
	// DuplicateEndpoints counts endpoints present more than once in our slices for the same
	// address family and port list (a duplicate slice shows up here).
	DuplicateEndpoints int
	// Lost counts endpoints of the fresh computation missing from our slices.
	Lost int
	// Slices is the number of our slices; DesiredSlices the fresh computation's.
	Slices, DesiredSlices int
}

func (v verdict) ok() bool { return len(v.Mismatches) == 0 && v.DuplicateEndpoints == 0 && v.Lost == 0 }

func (v verdict) String() string {
	return fmt.Sprintf("slices %d (desired %d), duplicate endpoints %d, lost endpoints %d, mismatches %v",
		v.Slices, v.DesiredSlices, v.DuplicateEndpoints, v.Lost, v.Mismatches)
}

// judge reads the Service, its pods, its Endpoints and every slice labelled with its name.
func judge(ctx context.Context, namespace, name string, maxPerSlice int) (verdict, error) {
	var v verdict
	svc := &corev1.Service{}
	if err := suite.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, svc); err != nil {
		return v, err
	}
	var podList corev1.PodList
	if err := suite.Client.List(ctx, &podList, client.InNamespace(namespace), client.MatchingLabels(svc.Spec.Selector)); err != nil {
		return v, err
	}
	pods := make([]*corev1.Pod, 0, len(podList.Items))
	for i := range podList.Items {
		pods = append(pods, &podList.Items[i])
	}
	in := endpoints.Input{Service: svc, Pods: pods}
	wantEp, _ := endpoints.DesiredEndpoints(in)
	gotEp := &corev1.Endpoints{}
	if err := suite.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, gotEp); err != nil {
		v.Mismatches = append(v.Mismatches, "Endpoints: "+err.Error())
	} else if !endpoints.EndpointsEqual(gotEp, wantEp) {
		v.Mismatches = append(v.Mismatches, "Endpoints differ from DesiredEndpoints")
	}
	var sl discoveryv1.EndpointSliceList
	if err := suite.Client.List(ctx, &sl, client.InNamespace(namespace),
		client.MatchingLabels{discoveryv1.LabelServiceName: name}); err != nil {
		return v, err
	}
	existing := make([]*discoveryv1.EndpointSlice, 0, len(sl.Items))
	got := map[string]int{}
	for i := range sl.Items {
		s := &sl.Items[i]
		existing = append(existing, s)
		if s.Labels[discoveryv1.LabelManagedBy] != endpoints.ManagedByValue {
			continue
		}
		v.Slices++
		for _, e := range s.Endpoints {
			for _, a := range e.Addresses {
				got[endpointKey(s.AddressType, s.Ports, a)]++
			}
		}
	}
	opts := endpoints.SliceOptions{MaxEndpointsPerSlice: maxPerSlice}
	if plan, _ := endpoints.PlanSlices(in, existing, opts); !plan.Empty() {
		v.Mismatches = append(v.Mismatches, fmt.Sprintf("slices differ from PlanSlices (create %d, update %d, delete %d)",
			len(plan.Create), len(plan.Update), len(plan.Delete)))
	}
	fresh, _ := endpoints.PlanSlices(in, nil, opts)
	v.DesiredSlices = len(fresh.Create)
	for _, s := range fresh.Create {
		for _, e := range s.Endpoints {
			for _, a := range e.Addresses {
				if got[endpointKey(s.AddressType, s.Ports, a)] == 0 {
					v.Lost++
				}
			}
		}
	}
	for _, n := range got {
		if n > 1 {
			v.DuplicateEndpoints += n - 1
		}
	}
	return v, nil
}

// endpointKey names an endpoint within its address family and port list: the unit that must
// appear exactly once across a Service's slices.
func endpointKey(family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, address string) string {
	ps := make([]string, 0, len(ports))
	for _, p := range ports {
		var name, proto string
		var port int32
		if p.Name != nil {
			name = *p.Name
		}
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		if p.Port != nil {
			port = *p.Port
		}
		ps = append(ps, fmt.Sprintf("%s/%s/%d", name, proto, port))
	}
	sort.Strings(ps)
	return string(family) + "|" + strings.Join(ps, ",") + "|" + address
}

// judgeAll judges every Service and sums the counts.
func judgeAll(ctx context.Context, namespace string, names []string, maxPerSlice int) (verdict, error) {
	var total verdict
	for _, n := range names {
		v, err := judge(ctx, namespace, n, maxPerSlice)
		if err != nil {
			return total, err
		}
		for _, m := range v.Mismatches {
			total.Mismatches = append(total.Mismatches, n+": "+m)
		}
		total.DuplicateEndpoints += v.DuplicateEndpoints
		total.Lost += v.Lost
		total.Slices += v.Slices
		total.DesiredSlices += v.DesiredSlices
	}
	return total, nil
}
