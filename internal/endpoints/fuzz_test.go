package endpoints

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// byteSource turns fuzz bytes into small choices; it yields zeros once exhausted.
type byteSource struct {
	b []byte
}

func (s *byteSource) next(n int) int {
	if len(s.b) == 0 || n <= 0 {
		return 0
	}
	v := int(s.b[0]) % n
	s.b = s.b[1:]
	return v
}

// fuzzWorld is a Service with pods, built from fuzz bytes.
type fuzzWorld struct {
	in  Input
	max int
}

func buildWorld(src *byteSource, withPods int) fuzzWorld {
	mods := []svcMod{}
	switch src.next(3) {
	case 1:
		mods = append(mods, dualStack)
	case 2:
		mods = append(mods, func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol}
			s.Spec.ClusterIP = "fd00::10"
		})
	}
	if src.next(3) == 0 {
		mods = append(mods, headless)
	}
	switch src.next(3) {
	case 1: // named target port, resolved per pod
		mods = append(mods, svcPorts(corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("web")},
			corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP}))
	case 2:
		mods = append(mods, noPorts, headless)
	}
	if src.next(4) == 0 {
		mods = append(mods, publishNotReady)
	}
	if td := src.next(4); td > 0 {
		mods = append(mods, trafficDist([]string{"", corev1.ServiceTrafficDistributionPreferClose, corev1.ServiceTrafficDistributionPreferSameZone, corev1.ServiceTrafficDistributionPreferSameNode}[td]))
	}
	w := fuzzWorld{in: Input{Service: newSvc(mods...), Nodes: zoneNodes(), TriggerTime: trigger}, max: 1 + src.next(12)}
	for i := range withPods {
		p := newPod(fmt.Sprintf("f%03d", i))
		switch src.next(5) {
		case 0:
			p.Status.PodIPs = []corev1.PodIP{{IP: fmt.Sprintf("10.2.0.%d", i+1)}}
		case 1:
			p.Status.PodIPs = []corev1.PodIP{{IP: fmt.Sprintf("fd00::2:%x", i+1)}}
		case 2, 3:
			p.Status.PodIPs = []corev1.PodIP{{IP: fmt.Sprintf("10.2.0.%d", i+1)}, {IP: fmt.Sprintf("fd00::2:%x", i+1)}}
		}
		if len(p.Status.PodIPs) > 0 {
			p.Status.PodIP = p.Status.PodIPs[0].IP
		}
		flags := src.next(16)
		if flags&1 != 0 {
			notReady(p)
		}
		if flags&2 != 0 && src.next(3) == 0 {
			deleting(p)
		}
		if flags&4 != 0 && src.next(4) == 0 {
			p.Status.Phase = corev1.PodFailed
		}
		if flags&8 != 0 {
			p.Spec.Hostname, p.Spec.Subdomain = p.Name, testSvc
		}
		p.Spec.NodeName = []string{"node-a", "node-b", "node-c"}[src.next(3)]
		if port := src.next(3); port > 0 {
			p.Spec.Containers[0].Ports = []corev1.ContainerPort{{Name: "web", ContainerPort: int32(8000 + port), Protocol: corev1.ProtocolTCP}}
		}
		w.in.Pods = append(w.in.Pods, p)
	}
	if src.next(2) == 1 { // read last so that earlier seeds keep their meaning
		w.in.Service.Labels = map[string]string{"tier": "web"}
	}
	return w
}

// FuzzSlicePlan checks the slice plan's invariants from an arbitrary previous state: every
// eligible endpoint ends up exactly once per family and port list, no slice exceeds the maximum,
// other managers' slices are never touched, applying the plan yields the desired set, and planning
// again on the result is a no-op.
func FuzzSlicePlan(f *testing.F) {
	f.Add([]byte{}, []byte{}, uint8(0), uint8(0))
	f.Add([]byte{1, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, []byte{2, 1, 0, 3, 5, 8, 13, 21, 34}, uint8(30), uint8(25))
	f.Add([]byte{2, 1, 2, 0, 3, 0}, []byte{0, 0, 0, 0, 0, 0, 0}, uint8(40), uint8(0))
	f.Add([]byte{0, 2, 1, 3, 1, 4, 9, 9, 9, 9}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 200, 201}, uint8(7), uint8(60))
	f.Add([]byte{1, 1, 0, 0, 0, 2}, []byte{255, 254, 253, 17, 99}, uint8(60), uint8(59))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 3, 0, 0, 0}, []byte{1, 1, 0, 0, 0, 0, 3, 0, 0, 1}, uint8(1), uint8(1)) // Service labels appear
	// Found by fuzzing a mutant that kept duplicated endpoints: an endpoint copied into a second
	// slice must be dropped from one of them.
	f.Add([]byte("0"), []byte("000001"), uint8(85), uint8(42))
	f.Fuzz(func(t *testing.T, before, after []byte, nBefore, nAfter uint8) {
		// Previous world → previous state, optionally damaged; then plan the new world against it.
		prev := buildWorld(&byteSource{b: before}, int(nBefore%64))
		gen := 0
		plan, _ := PlanSlices(prev.in, nil, SliceOptions{MaxEndpointsPerSlice: prev.max})
		state := applyPlan(t, nil, plan, &gen)
		state = damage(&byteSource{b: after}, state)

		// The new world may change families, ports, headlessness, hints and max per slice too.
		w := buildWorld(&byteSource{b: after}, int(nAfter%64))
		checkPlanInvariants(t, w, state, &gen)
	})
}

// damage perturbs an existing state the way real clusters drift: a foreign slice, an endpoint
// duplicated into another slice, a stale owner, over-full slices.
func damage(src *byteSource, state []*discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	if src.next(2) == 0 {
		foreign := existingSlice("web-foreign", v4, httpPorts, readyEP("f000", "10.2.0.1"))
		foreign.Labels[discoveryv1.LabelManagedBy] = "someone-else"
		state = append(state, foreign)
	}
	if len(state) >= 2 && src.next(2) == 0 {
		a, b := state[src.next(len(state))].DeepCopy(), state[src.next(len(state))]
		if len(b.Endpoints) > 0 && a.AddressType == b.AddressType {
			a.Endpoints = append(a.Endpoints, b.Endpoints[0])
			state = replaceByName(state, a)
		}
	}
	if len(state) >= 1 && src.next(3) == 0 {
		a := state[src.next(len(state))].DeepCopy()
		a.OwnerReferences[0].UID = "stale"
		state = replaceByName(state, a)
	}
	return state
}

func replaceByName(state []*discoveryv1.EndpointSlice, s *discoveryv1.EndpointSlice) []*discoveryv1.EndpointSlice {
	out := make([]*discoveryv1.EndpointSlice, len(state))
	for i, x := range state {
		out[i] = x
		if x.Name == s.Name {
			out[i] = s
		}
	}
	return out
}

func checkPlanInvariants(t *testing.T, w fuzzWorld, state []*discoveryv1.EndpointSlice, gen *int) {
	t.Helper()
	plan, _ := PlanSlices(w.in, state, SliceOptions{MaxEndpointsPerSlice: w.max})
	for _, s := range append(append([]*discoveryv1.EndpointSlice{}, plan.Create...), plan.Update...) {
		if len(s.Endpoints) > w.max {
			t.Fatalf("slice %q has %d endpoints, max %d", s.Name, len(s.Endpoints), w.max)
		}
	}
	for _, s := range append(append([]*discoveryv1.EndpointSlice{}, plan.Update...), plan.Delete...) {
		if s.Labels[discoveryv1.LabelManagedBy] != ManagedByValue {
			t.Fatalf("plan touches slice %q managed by %q", s.Name, s.Labels[discoveryv1.LabelManagedBy])
		}
	}
	next := applyPlan(t, state, plan, gen)

	// Desired: per family, the eligible pods with an IP of that family, computed from the pods.
	wantCount := map[discoveryv1.AddressType]int{}
	for _, p := range w.in.Pods {
		if p.Status.Phase == corev1.PodFailed || len(p.Status.PodIPs) == 0 {
			continue
		}
		for _, fam := range serviceFamilies(w.in.Service) {
			if _, ok := podIPOfFamily(p, fam); ok {
				wantCount[fam]++
			}
		}
	}
	groups, _ := desiredSliceGroups(w.in, serviceFamilies(w.in.Service))
	want := map[string]discoveryv1.Endpoint{}
	total := 0
	for _, g := range groups {
		for _, ep := range g.endpoints {
			want[string(g.family)+g.portKey+"#"+endpointKey(&ep)] = ep
			wantCount[g.family]--
		}
		total += len(g.endpoints)
	}
	for fam, n := range wantCount {
		if n != 0 {
			t.Fatalf("family %s: desired groups miss or add %d eligible pods", fam, n)
		}
	}
	seen := map[string]bool{}
	ourSlices, empty := 0, 0
	for _, s := range next {
		if s.Labels[discoveryv1.LabelManagedBy] != ManagedByValue {
			continue
		}
		ourSlices++
		if len(s.Endpoints) == 0 {
			empty++
			if fam := serviceFamilies(w.in.Service)[0]; s.AddressType != fam || len(s.Ports) != 0 {
				t.Fatalf("placeholder %q is %s with %d ports, want %s without ports", s.Name, s.AddressType, len(s.Ports), fam)
			}
		}
		if !stringMapsEqual(s.Labels, desiredSliceLabels(w.in.Service)) || !ownedBy(s, "Service", svcUID) {
			t.Fatalf("slice %q has labels %v / owners %v", s.Name, s.Labels, s.OwnerReferences)
		}
		pk := portListKey(fromSlicePorts(s.Ports))
		for i := range s.Endpoints {
			k := string(s.AddressType) + pk + "#" + endpointKey(&s.Endpoints[i])
			d, ok := want[k]
			if !ok || seen[k] {
				t.Fatalf("slice %q: endpoint %s unexpected or duplicated (known=%v)", s.Name, k, ok)
			}
			if !endpointEqual(&d, &s.Endpoints[i]) {
				t.Fatalf("slice %q: endpoint %s differs from desired", s.Name, k)
			}
			seen[k] = true
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("after apply %d endpoints placed, want %d", len(seen), len(want))
	}
	if wantEmpty := map[bool]int{true: 1, false: 0}[total == 0]; empty != wantEmpty {
		t.Fatalf("after apply %d empty slices of ours, want %d (placeholder only when no endpoints)", empty, wantEmpty)
	}
	again, _ := PlanSlices(w.in, next, SliceOptions{MaxEndpointsPerSlice: w.max})
	if !again.Empty() || again.Unchanged != ourSlices {
		t.Fatalf("second plan not a no-op: %d creates, %d updates, %d deletes, %d unchanged of %d",
			len(again.Create), len(again.Update), len(again.Delete), again.Unchanged, ourSlices)
	}
}
