package policy

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

type conds = map[types.NamespacedName]metav1.Condition
type overrides = map[types.NamespacedName]Override

func TestResolve(t *testing.T) {
	tests := []struct {
		name     string
		policies []*v1alpha1.LoadBalancingPolicy
		services []types.NamespacedName
		want     Result
	}{{
		name:     "no policies",
		services: []types.NamespacedName{key("a", "web")},
		want:     Result{Accepted: conds{}, Overrides: overrides{}},
	}, {
		name:     "every target exists: Accepted, each target overridden",
		policies: []*v1alpha1.LoadBalancingPolicy{lbp("a", "p", 0, "web", "api")},
		services: []types.NamespacedName{key("a", "web"), key("a", "api"), key("a", "other")},
		want: Result{
			Accepted:  conds{key("a", "p"): accepted(1, `Applied to Services "web", "api"`)},
			Overrides: overrides{key("a", "web"): rr("a", "p"), key("a", "api"): rr("a", "p")},
		},
	}, {
		name:     "one target missing: TargetNotFound naming it, the existing target still overridden",
		policies: []*v1alpha1.LoadBalancingPolicy{lbp("a", "p", 0, "web", "ghost")},
		services: []types.NamespacedName{key("a", "web")},
		want: Result{
			Accepted:  conds{key("a", "p"): rejected(v1alpha1.ReasonTargetNotFound, 1, `Service "ghost" not found; applied to Service "web"`)},
			Overrides: overrides{key("a", "web"): rr("a", "p")},
		},
	}, {
		name:     "every target missing",
		policies: []*v1alpha1.LoadBalancingPolicy{lbp("a", "p", 0, "x", "y")},
		services: []types.NamespacedName{key("b", "x")},
		want: Result{
			Accepted:  conds{key("a", "p"): rejected(v1alpha1.ReasonTargetNotFound, 1, `Services "x", "y" not found`)},
			Overrides: overrides{},
		},
	}, {
		name:     "two policies on one Service: the older wins, the newer is Conflicted naming it",
		policies: []*v1alpha1.LoadBalancingPolicy{lbp("a", "new", 5, "web"), lbp("a", "old", 1, "web")},
		services: []types.NamespacedName{key("a", "web")},
		want: Result{
			Accepted: conds{
				key("a", "old"): accepted(1, `Applied to Service "web"`),
				key("a", "new"): rejected(v1alpha1.ReasonConflicted, 1, `Service "web" is governed by the older LoadBalancingPolicy "old"`),
			},
			Overrides: overrides{key("a", "web"): rr("a", "old")},
		},
	}, {
		name:     "same creationTimestamp: the smaller name wins",
		policies: []*v1alpha1.LoadBalancingPolicy{lbp("a", "zeta", 3, "web"), lbp("a", "alpha", 3, "web")},
		services: []types.NamespacedName{key("a", "web")},
		want: Result{
			Accepted: conds{
				key("a", "alpha"): accepted(1, `Applied to Service "web"`),
				key("a", "zeta"):  rejected(v1alpha1.ReasonConflicted, 1, `Service "web" is governed by the older LoadBalancingPolicy "alpha"`),
			},
			Overrides: overrides{key("a", "web"): rr("a", "alpha")},
		},
	}, {
		name: "conflict and missing target together: Conflicted, the message lists both",
		policies: []*v1alpha1.LoadBalancingPolicy{
			lbp("a", "old", 0, "web", "api"), lbp("a", "new", 9, "ghost", "web", "mine", "api"),
		},
		services: []types.NamespacedName{key("a", "web"), key("a", "api"), key("a", "mine")},
		want: Result{
			Accepted: conds{
				key("a", "old"): accepted(1, `Applied to Services "web", "api"`),
				key("a", "new"): rejected(v1alpha1.ReasonConflicted, 1, `Service "web" is governed by the older LoadBalancingPolicy "old"; `+
					`Service "api" is governed by the older LoadBalancingPolicy "old"; Service "ghost" not found`),
			},
			// The newer policy still governs the Service nobody else targets.
			Overrides: overrides{key("a", "web"): rr("a", "old"), key("a", "api"): rr("a", "old"), key("a", "mine"): rr("a", "new")},
		},
	}, {
		name: "a winner with a missing target elsewhere keeps the Service it wins",
		policies: []*v1alpha1.LoadBalancingPolicy{
			lbp("a", "old", 0, "web", "ghost"), lbp("a", "new", 1, "web"),
		},
		services: []types.NamespacedName{key("a", "web")},
		want: Result{
			Accepted: conds{
				key("a", "old"): rejected(v1alpha1.ReasonTargetNotFound, 1, `Service "ghost" not found; applied to Service "web"`),
				key("a", "new"): rejected(v1alpha1.ReasonConflicted, 1, `Service "web" is governed by the older LoadBalancingPolicy "old"`),
			},
			Overrides: overrides{key("a", "web"): rr("a", "old")},
		},
	}, {
		name: "a missing Service is still won by the oldest policy: the newer one reports Conflicted, not TargetNotFound",
		policies: []*v1alpha1.LoadBalancingPolicy{
			lbp("a", "old", 0, "ghost"), lbp("a", "new", 1, "ghost"),
		},
		want: Result{
			Accepted: conds{
				key("a", "old"): rejected(v1alpha1.ReasonTargetNotFound, 1, `Service "ghost" not found`),
				key("a", "new"): rejected(v1alpha1.ReasonConflicted, 1, `Service "ghost" is governed by the older LoadBalancingPolicy "old"`),
			},
			Overrides: overrides{},
		},
	}, {
		name:     "equal names in two namespaces never conflict",
		policies: []*v1alpha1.LoadBalancingPolicy{lbp("a", "p", 0, "web"), lbp("b", "p", 9, "web"), lbp("b", "q", 0, "web")},
		services: []types.NamespacedName{key("a", "web"), key("b", "web")},
		want: Result{
			Accepted: conds{
				key("a", "p"): accepted(1, `Applied to Service "web"`),
				key("b", "q"): accepted(1, `Applied to Service "web"`),
				key("b", "p"): rejected(v1alpha1.ReasonConflicted, 1, `Service "web" is governed by the older LoadBalancingPolicy "q"`),
			},
			Overrides: overrides{key("a", "web"): rr("a", "p"), key("b", "web"): rr("b", "q")},
		},
	}, {
		name: "every setting is carried, drainTimeout 0s stays distinguishable from unset",
		policies: []*v1alpha1.LoadBalancingPolicy{
			with(lbp("a", "full", 0, "web"), func(p *v1alpha1.LoadBalancingPolicy) {
				p.Spec.Scheduler = v1alpha1.SchedulerSourceHashing
				p.Spec.SessionPersistence = &v1alpha1.SessionPersistence{TimeoutSeconds: 600}
				p.Spec.DrainTimeout = &metav1.Duration{Duration: 90 * time.Second}
			}),
			with(lbp("a", "zero", 0, "api"), func(p *v1alpha1.LoadBalancingPolicy) {
				p.Spec.Scheduler = v1alpha1.SchedulerLeastConnection
				p.Spec.DrainTimeout = &metav1.Duration{}
			}),
		},
		services: []types.NamespacedName{key("a", "web"), key("a", "api")},
		want: Result{
			Accepted: conds{
				key("a", "full"): accepted(1, `Applied to Service "web"`),
				key("a", "zero"): accepted(1, `Applied to Service "api"`),
			},
			Overrides: overrides{
				key("a", "web"): {Policy: key("a", "full"), Scheduler: "sh", PersistenceTimeout: 600, DrainTimeout: dur(90 * time.Second)},
				key("a", "api"): {Policy: key("a", "zero"), Scheduler: "lc", DrainTimeout: dur(0)},
			},
		},
	}, {
		name: "observedGeneration is each policy's generation",
		policies: []*v1alpha1.LoadBalancingPolicy{
			with(lbp("a", "p", 0, "web"), func(p *v1alpha1.LoadBalancingPolicy) { p.Generation = 7 }),
			with(lbp("a", "q", 1, "web"), func(p *v1alpha1.LoadBalancingPolicy) { p.Generation = 3 }),
		},
		services: []types.NamespacedName{key("a", "web")},
		want: Result{
			Accepted: conds{
				key("a", "p"): accepted(7, `Applied to Service "web"`),
				key("a", "q"): rejected(v1alpha1.ReasonConflicted, 3, `Service "web" is governed by the older LoadBalancingPolicy "p"`),
			},
			Overrides: overrides{key("a", "web"): rr("a", "p")},
		},
	}, {
		name: "nil entries, a repeated policy (first kept) and a repeated target name are ignored",
		policies: []*v1alpha1.LoadBalancingPolicy{
			nil, lbp("a", "p", 0, "web", "web"),
			with(lbp("a", "p", 0, "api"), func(p *v1alpha1.LoadBalancingPolicy) { p.Spec.Scheduler = "sh" }),
		},
		services: []types.NamespacedName{key("a", "web"), key("a", "api")},
		want: Result{
			Accepted:  conds{key("a", "p"): accepted(1, `Applied to Service "web"`)},
			Overrides: overrides{key("a", "web"): rr("a", "p")},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Resolve(tt.policies, ServiceSet(tt.services...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve():\n got: %s\nwant: %s", render(got), render(tt.want))
			}
			// Overrides is the same answer, for the node agent.
			if o := Overrides(tt.policies, ServiceSet(tt.services...)); !reflect.DeepEqual(o, tt.want.Overrides) {
				t.Errorf("Overrides():\n got: %s\nwant: %s", render(Result{Overrides: o}), render(Result{Overrides: tt.want.Overrides}))
			}
		})
	}
}

func TestResolveNilServiceExistsMeansEveryServiceExists(t *testing.T) {
	got := Resolve([]*v1alpha1.LoadBalancingPolicy{lbp("a", "p", 0, "web", "api")}, nil)
	want := Result{
		Accepted:  conds{key("a", "p"): accepted(1, `Applied to Services "web", "api"`)},
		Overrides: overrides{key("a", "web"): rr("a", "p"), key("a", "api"): rr("a", "p")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve(nil exists):\n got: %s\nwant: %s", render(got), render(want))
	}
}

func TestResolveDoesNotMutateItsInput(t *testing.T) {
	in := []*v1alpha1.LoadBalancingPolicy{lbp("a", "new", 5, "web", "web"), lbp("a", "old", 1, "web")}
	before := []*v1alpha1.LoadBalancingPolicy{in[0].DeepCopy(), in[1].DeepCopy()}
	Resolve(in, nil)
	if !reflect.DeepEqual(in, before) {
		t.Errorf("Resolve mutated its input")
	}
}

func TestOlder(t *testing.T) {
	tests := []struct {
		name string
		a, b *v1alpha1.LoadBalancingPolicy
		want bool
	}{
		{"older timestamp wins over a smaller name", lbp("a", "z", 0), lbp("a", "a", 1), true},
		{"newer timestamp loses", lbp("a", "a", 1), lbp("a", "z", 0), false},
		{"tie: smaller name", lbp("a", "a", 1), lbp("a", "b", 1), true},
		{"tie: larger name", lbp("a", "b", 1), lbp("a", "a", 1), false},
		{"same policy is not older than itself", lbp("a", "a", 1), lbp("a", "a", 1), false},
		{"sub-second timestamps still order", with(lbp("a", "z", 0), func(p *v1alpha1.LoadBalancingPolicy) {
			p.CreationTimestamp = metav1.NewTime(epoch.Add(time.Millisecond))
		}), with(lbp("a", "a", 0), func(p *v1alpha1.LoadBalancingPolicy) {
			p.CreationTimestamp = metav1.NewTime(epoch.Add(2 * time.Millisecond))
		}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Older(tt.a, tt.b); got != tt.want {
				t.Errorf("Older() = %v, want %v", got, tt.want)
			}
		})
	}
}

// render prints a Result with sorted keys, for readable failures.
func render(r Result) string {
	var b strings.Builder
	for _, k := range sortedKeys(r.Accepted) {
		c := r.Accepted[k]
		fmt.Fprintf(&b, "\n  policy %s: %s=%s reason=%s gen=%d msg=%q", k, c.Type, c.Status, c.Reason, c.ObservedGeneration, c.Message)
	}
	for _, k := range sortedKeys(r.Overrides) {
		o := r.Overrides[k]
		drain := "unset"
		if o.DrainTimeout != nil {
			drain = o.DrainTimeout.String()
		}
		fmt.Fprintf(&b, "\n  service %s: policy=%s scheduler=%s persistence=%d drain=%s", k, o.Policy, o.Scheduler, o.PersistenceTimeout, drain)
	}
	return b.String()
}

func sortedKeys[V any](m map[types.NamespacedName]V) []types.NamespacedName {
	keys := make([]types.NamespacedName, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
	return keys
}
