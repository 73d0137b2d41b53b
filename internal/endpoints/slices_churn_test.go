package endpoints

import (
	"fmt"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
)

// applyPlan does to existing what the API server would do with the plan: deletes removed, updates
// replace their slice (resourceVersion bumped), creates named from generateName.
func applyPlan(t testing.TB, existing []*discoveryv1.EndpointSlice, plan SlicePlan, gen *int) []*discoveryv1.EndpointSlice {
	t.Helper()
	byName := map[string]*discoveryv1.EndpointSlice{}
	var order []string
	for _, s := range existing {
		byName[s.Name] = s
		order = append(order, s.Name)
	}
	for _, d := range plan.Delete {
		if byName[d.Name] == nil {
			t.Fatalf("plan deletes %q which does not exist", d.Name)
		}
		delete(byName, d.Name)
	}
	for _, u := range plan.Update {
		old := byName[u.Name]
		if old == nil || u.ResourceVersion != old.ResourceVersion {
			t.Fatalf("plan updates %q which does not exist at resourceVersion %q", u.Name, u.ResourceVersion)
		}
		n := u.DeepCopy()
		rv, _ := strconv.Atoi(n.ResourceVersion)
		n.ResourceVersion = strconv.Itoa(rv + 1)
		byName[u.Name] = n
	}
	for _, c := range plan.Create {
		if c.Name != "" || c.GenerateName == "" {
			t.Fatalf("created slice must have generateName only, got name=%q generateName=%q", c.Name, c.GenerateName)
		}
		*gen++
		n := c.DeepCopy()
		n.Name, n.GenerateName = fmt.Sprintf("%sgen%03d", c.GenerateName, *gen), ""
		n.ResourceVersion, n.UID = "1", types.UID(fmt.Sprintf("uid-gen%03d", *gen))
		byName[n.Name] = n
		order = append(order, n.Name)
	}
	var out []*discoveryv1.EndpointSlice
	for _, name := range order {
		if s := byName[name]; s != nil {
			out = append(out, s)
			delete(byName, name)
		}
	}
	return out
}

func bigEPs(from, to int) []discoveryv1.Endpoint {
	var out []discoveryv1.Endpoint
	for i := from; i < to; i++ {
		out = append(out, readyEP(fmt.Sprintf("q%04d", i), bigIP(i)))
	}
	return out
}

func concatEPs(parts ...[]discoveryv1.Endpoint) []discoveryv1.Endpoint {
	var out []discoveryv1.Endpoint
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestSliceChurn walks a 250-pod Service through changes and checks every plan whole.
func TestSliceChurn(t *testing.T) {
	svc := newSvc()
	gen := 0
	plan, _ := PlanSlices(Input{Service: svc, TriggerTime: trigger, Pods: bigPods(250)}, nil, SliceOptions{})
	diff(t, "250 pods → 100/100/50", SlicePlan{Create: []*discoveryv1.EndpointSlice{
		newSliceWant(v4, httpPorts, bigEPs(0, 100)...),
		newSliceWant(v4, httpPorts, bigEPs(100, 200)...),
		newSliceWant(v4, httpPorts, bigEPs(200, 250)...),
	}}, plan)
	state := applyPlan(t, nil, plan, &gen)
	s1, s2, s3 := state[0], state[1], state[2]

	plan, _ = PlanSlices(Input{Service: svc, TriggerTime: trigger.Add(1), Pods: bigPods(250)}, state, SliceOptions{})
	diff(t, "resync with nothing changed", SlicePlan{Unchanged: 3}, plan)

	// One pod turns not ready: exactly one update, of the slice holding it, and nothing else.
	changed := bigPods(250)
	notReady(changed[150])
	plan, _ = PlanSlices(Input{Service: svc, TriggerTime: trigger, Pods: changed}, state, SliceOptions{})
	want2 := concatEPs(bigEPs(100, 150), []discoveryv1.Endpoint{wantEP("q0150", bigIP(150), false, false, false)}, bigEPs(151, 200))
	diff(t, "one pod changed", SlicePlan{Update: []*discoveryv1.EndpointSlice{updated(s2, want2...)}, Unchanged: 2}, plan)

	// One pod replaced by another: the new one fills the slice already being updated.
	replaced := bigPods(251)
	replaced = append(replaced[:10], replaced[11:]...)
	plan, _ = PlanSlices(Input{Service: svc, TriggerTime: trigger, Pods: replaced}, state, SliceOptions{})
	diff(t, "one pod replaced", SlicePlan{Update: []*discoveryv1.EndpointSlice{
		updated(s1, concatEPs(bigEPs(0, 10), bigEPs(11, 100), bigEPs(250, 251))...)}, Unchanged: 2}, plan)

	// Ten pods added: they go into the unchanged slice that ends closest to full (s3).
	plan, _ = PlanSlices(Input{Service: svc, TriggerTime: trigger, Pods: bigPods(260)}, state, SliceOptions{})
	diff(t, "ten pods added", SlicePlan{Update: []*discoveryv1.EndpointSlice{updated(s3, bigEPs(200, 260)...)}, Unchanged: 2}, plan)

	// 120 pods added: a full new slice, then the remaining 20 into s3.
	plan, _ = PlanSlices(Input{Service: svc, TriggerTime: trigger, Pods: bigPods(370)}, state, SliceOptions{})
	diff(t, "120 pods added", SlicePlan{
		Create: []*discoveryv1.EndpointSlice{newSliceWant(v4, httpPorts, bigEPs(250, 350)...)},
		Update: []*discoveryv1.EndpointSlice{updated(s3, concatEPs(bigEPs(200, 250), bigEPs(350, 370))...)}, Unchanged: 2}, plan)
	if len(plan.Update[0].Endpoints) != 70 {
		t.Errorf("s3 has %d endpoints, want 70", len(plan.Update[0].Endpoints))
	}

	// The first 100 pods gone: their slice is deleted, the others are untouched.
	remaining := bigPods(250)[100:]
	plan, _ = PlanSlices(Input{Service: svc, TriggerTime: trigger, Pods: remaining}, state, SliceOptions{})
	diff(t, "first 100 pods gone", SlicePlan{Delete: []*discoveryv1.EndpointSlice{s1}, Unchanged: 2}, plan)
}

// TestSliceChurnDualStackAndForeign checks that another manager's slices survive a full cycle and
// that dual-stack sets are planned independently.
func TestSliceChurnDualStackAndForeign(t *testing.T) {
	svc := newSvc(dualStack)
	foreign := existingSlice("web-kcm", v4, httpPorts, readyEP("p1", "10.0.0.1"))
	foreign.Labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io"
	pods := []*corev1.Pod{newPod("p1", "10.0.0.1", "fd00::1"), newPod("p2", "10.0.0.2", "fd00::2")}
	gen := 0
	state := []*discoveryv1.EndpointSlice{foreign}
	plan, _ := PlanSlices(Input{Service: svc, TriggerTime: trigger, Pods: pods}, state, SliceOptions{})
	diff(t, "dual-stack create", SlicePlan{Create: []*discoveryv1.EndpointSlice{
		newSliceWant(v4, httpPorts, readyEP("p1", "10.0.0.1"), readyEP("p2", "10.0.0.2")),
		newSliceWant(v6, httpPorts, readyEP("p1", "fd00::1"), readyEP("p2", "fd00::2")),
	}}, plan)
	state = applyPlan(t, state, plan, &gen)

	// The IPv6 address of p2 goes away: only the IPv6 slice changes.
	pods[1].Status.PodIPs = pods[1].Status.PodIPs[:1]
	plan, _ = PlanSlices(Input{Service: svc, TriggerTime: trigger, Pods: pods}, state, SliceOptions{})
	diff(t, "IPv6 address gone", SlicePlan{Update: []*discoveryv1.EndpointSlice{updated(state[2], readyEP("p1", "fd00::1"))}, Unchanged: 1}, plan)

	// No pods at all: one IPv4 placeholder (recycled from the IPv4 slice), the IPv6 slice deleted,
	// the foreign slice untouched.
	plan, _ = PlanSlices(Input{Service: svc, TriggerTime: trigger}, state, SliceOptions{})
	ph := updated(state[1])
	ph.Ports = []discoveryv1.EndpointPort{}
	diff(t, "all pods gone", SlicePlan{Update: []*discoveryv1.EndpointSlice{ph}, Delete: []*discoveryv1.EndpointSlice{state[2]}}, plan)
}
