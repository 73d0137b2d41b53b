package policy

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// fuzzNames are few on purpose: collisions (shared targets, equal timestamps, equal names in two
// namespaces) are what the resolver has to get right.
var (
	fuzzNamespaces = []string{"a", "b"}
	fuzzServices   = []string{"web", "api", "db", "dns"}
)

// fuzzInput decodes data into policies with unique namespace/name keys and the set of existing
// Services. Each policy takes 4 bytes: namespace+name, creation second, generation, target mask.
func fuzzInput(data []byte) ([]*v1alpha1.LoadBalancingPolicy, []types.NamespacedName) {
	var services []types.NamespacedName
	if len(data) > 0 {
		for i, ns := range fuzzNamespaces {
			for j, name := range fuzzServices {
				if data[0]&(1<<(i*len(fuzzServices)+j)) != 0 {
					services = append(services, key(ns, name))
				}
			}
		}
		data = data[1:]
	}
	var policies []*v1alpha1.LoadBalancingPolicy
	seen := map[types.NamespacedName]bool{}
	for ; len(data) >= 4; data = data[4:] {
		ns := fuzzNamespaces[int(data[0]>>7)%len(fuzzNamespaces)]
		name := fmt.Sprintf("p%d", data[0]&0x0f)
		if seen[key(ns, name)] {
			continue
		}
		seen[key(ns, name)] = true
		var targets []string
		for j, svc := range fuzzServices {
			if data[3]&(1<<j) != 0 {
				targets = append(targets, svc)
			}
			if data[3]&(0x10<<j) != 0 { // repeated target names (the CEL rule forbids them; be robust)
				targets = append(targets, svc)
			}
		}
		p := lbp(ns, name, int(data[1]%4), targets...)
		p.Generation = int64(data[2])
		p.CreationTimestamp = metav1.NewTime(p.CreationTimestamp.Add(time.Duration(data[1]>>6) * time.Millisecond))
		policies = append(policies, p)
	}
	return policies, services
}

// FuzzResolve checks the resolver's invariants on arbitrary inputs: no panic; every existing
// targeted Service has exactly one override, from the oldest policy targeting it; the Accepted
// condition of each policy agrees with the overrides; Overrides (the agent's entry point) equals
// Resolve's overrides; the result does not depend on input order.
func FuzzResolve(f *testing.F) {
	f.Add([]byte{0xff, 0x01, 0, 1, 0x01, 0x02, 0, 1, 0x01})                   // two policies on one Service
	f.Add([]byte{0x0f, 0x01, 3, 1, 0x03, 0x02, 3, 2, 0x06, 0x83, 1, 9, 0x0f}) // ties, two namespaces
	f.Add([]byte{0x00, 0x05, 0, 1, 0x1f})                                     // missing targets, repeated name
	f.Fuzz(func(t *testing.T, data []byte) {
		policies, services := fuzzInput(data)
		exists := ServiceSet(services...)
		got := Resolve(policies, exists)

		checkWinners(t, policies, exists, got)
		for _, p := range policies {
			checkCondition(t, p, policies, exists, got)
		}
		if len(got.Accepted) != len(policies) {
			t.Fatalf("%d conditions for %d policies", len(got.Accepted), len(policies))
		}
		if o := Overrides(policies, exists); !reflect.DeepEqual(o, got.Overrides) {
			t.Fatalf("Overrides disagrees with Resolve:\n got: %s\nwant: %s", render(Result{Overrides: o}), render(Result{Overrides: got.Overrides}))
		}
		reversed := slices.Clone(policies)
		slices.Reverse(reversed)
		if again := Resolve(reversed, exists); !reflect.DeepEqual(again, got) {
			t.Fatalf("order changed the result:\n got: %s\nwant: %s", render(again), render(got))
		}
	})
}

// checkWinners: an override exists exactly for the existing targeted Services, and names the
// policy that is Older than every other policy targeting that Service.
func checkWinners(t *testing.T, policies []*v1alpha1.LoadBalancingPolicy, exists ServiceExists, got Result) {
	targeting := map[types.NamespacedName][]*v1alpha1.LoadBalancingPolicy{}
	for _, p := range policies {
		for _, ref := range p.Spec.TargetRefs {
			svc := key(p.Namespace, ref.Name)
			if !slices.Contains(targeting[svc], p) {
				targeting[svc] = append(targeting[svc], p)
			}
		}
	}
	for svc := range got.Overrides {
		if _, ok := targeting[svc]; !ok || !exists(svc) {
			t.Fatalf("override for %s, which is not an existing target", svc)
		}
	}
	for svc, ps := range targeting {
		o, ok := got.Overrides[svc]
		if !exists(svc) {
			if ok {
				t.Fatalf("override for missing Service %s", svc)
			}
			continue
		}
		if !ok {
			t.Fatalf("no override for existing target %s", svc)
		}
		for _, p := range ps {
			if keyOf(p) != o.Policy && !oracleOlder(findPolicy(ps, o.Policy), p) {
				t.Fatalf("%s: winner %s is not older than %s", svc, o.Policy, keyOf(p))
			}
		}
		if w := findPolicy(ps, o.Policy); w == nil || o.Scheduler != string(w.Spec.Scheduler) {
			t.Fatalf("%s: override %+v does not come from a targeting policy", svc, o)
		}
	}
}

// checkCondition: True iff the policy wins every target and every target exists; Conflicted iff an
// older policy targets one of its Services (existing or not); TargetNotFound otherwise;
// observedGeneration is the generation. "Older" is recomputed here by brute force.
func checkCondition(t *testing.T, p *v1alpha1.LoadBalancingPolicy, policies []*v1alpha1.LoadBalancingPolicy,
	exists ServiceExists, got Result) {
	c, ok := got.Accepted[keyOf(p)]
	if !ok {
		t.Fatalf("no condition for %s", keyOf(p))
	}
	loses, misses := false, false
	for _, ref := range p.Spec.TargetRefs {
		misses = misses || !exists(key(p.Namespace, ref.Name))
		for _, q := range policies {
			if q.Namespace == p.Namespace && q != p && targets(q, ref.Name) && oracleOlder(q, p) {
				loses = true
			}
		}
	}
	want := v1alpha1.ReasonAccepted
	switch {
	case loses:
		want = v1alpha1.ReasonConflicted
	case misses:
		want = v1alpha1.ReasonTargetNotFound
	}
	wantStatus := metav1.ConditionFalse
	if want == v1alpha1.ReasonAccepted {
		wantStatus = metav1.ConditionTrue
	}
	if c.Type != v1alpha1.ConditionAccepted || c.Reason != want || c.Status != wantStatus ||
		c.ObservedGeneration != p.Generation || c.Message == "" {
		t.Fatalf("%s: condition %+v, want reason %s status %s generation %d", keyOf(p), c, want, wantStatus, p.Generation)
	}
}

// oracleOlder is the precedence rule written out independently of Older: the earlier
// creationTimestamp, then the smaller name (one namespace only).
func oracleOlder(a, b *v1alpha1.LoadBalancingPolicy) bool {
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c < 0
	}
	return a.Name < b.Name
}

func targets(p *v1alpha1.LoadBalancingPolicy, name string) bool {
	return slices.ContainsFunc(p.Spec.TargetRefs, func(r v1alpha1.LocalServiceReference) bool { return r.Name == name })
}

func findPolicy(ps []*v1alpha1.LoadBalancingPolicy, k types.NamespacedName) *v1alpha1.LoadBalancingPolicy {
	for _, p := range ps {
		if keyOf(p) == k {
			return p
		}
	}
	return nil
}
