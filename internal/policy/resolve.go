package policy

import (
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// ServiceExists tells whether the Service namespace/name exists. A nil ServiceExists means every
// Service exists (the node agent, which only looks up the Services it programs, may pass nil).
type ServiceExists func(types.NamespacedName) bool

// ServiceSet returns a ServiceExists true for exactly the given Services.
func ServiceSet(keys ...types.NamespacedName) ServiceExists {
	set := make(map[types.NamespacedName]struct{}, len(keys))
	for _, k := range keys {
		set[k] = struct{}{}
	}
	return func(k types.NamespacedName) bool {
		_, ok := set[k]
		return ok
	}
}

// Override is the effective setting of one Service, taken from the policy that wins it.
type Override struct {
	// Policy is the winning LoadBalancingPolicy.
	Policy types.NamespacedName
	// Scheduler is the IPVS scheduler (ipvsadm name); always set, spec.scheduler is required.
	Scheduler string
	// PersistenceTimeout is spec.sessionPersistence.timeoutSeconds; 0 means unset: the Service's
	// own sessionAffinity applies.
	PersistenceTimeout uint32
	// DrainTimeout is spec.drainTimeout; nil means unset (the agent's --drain-timeout). A set
	// value may be 0: removed endpoints are dropped at once.
	DrainTimeout *time.Duration
}

// Result is the outcome of Resolve.
type Result struct {
	// Accepted is the Accepted condition of every policy, keyed by the policy's namespace/name.
	// LastTransitionTime is zero: the caller merges it with meta.SetStatusCondition.
	Accepted map[types.NamespacedName]metav1.Condition
	// Overrides holds one entry per existing Service targeted by at least one policy.
	Overrides map[types.NamespacedName]Override
}

// Older reports whether a takes precedence over b: the older creationTimestamp wins and equal
// timestamps (they have a one-second resolution) are ordered by name, so that the order is total
// and every reader of the same objects picks the same winner.
func Older(a, b *v1alpha1.LoadBalancingPolicy) bool {
	ta, tb := a.CreationTimestamp.Time, b.CreationTimestamp.Time
	if !ta.Equal(tb) {
		return ta.Before(tb)
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Namespace < b.Namespace
}

// Overrides returns Resolve(policies, exists).Overrides: what the node agent programs. It skips
// the conditions (and their messages), which the agent does not need on every sync.
func Overrides(policies []*v1alpha1.LoadBalancingPolicy, exists ServiceExists) map[types.NamespacedName]Override {
	_, winners := resolveWinners(policies)
	return overridesOf(winners, exists)
}

// Resolve decides the winner of every targeted Service and the Accepted condition of every policy.
// Policies may come from several namespaces; each targets Services of its own namespace. nil
// entries, and entries repeating an earlier entry's namespace/name, are ignored. The result does
// not depend on the order of policies.
func Resolve(policies []*v1alpha1.LoadBalancingPolicy, exists ServiceExists) Result {
	if exists == nil {
		exists = everyServiceExists
	}
	unique, winners := resolveWinners(policies)
	res := Result{
		Accepted:  make(map[types.NamespacedName]metav1.Condition, len(unique)),
		Overrides: overridesOf(winners, exists),
	}
	for _, p := range unique {
		res.Accepted[keyOf(p)] = acceptedCondition(p, winners, exists)
	}
	return res
}

func everyServiceExists(types.NamespacedName) bool { return true }

// resolveWinners returns the policies that count and the winner of every targeted Service.
func resolveWinners(policies []*v1alpha1.LoadBalancingPolicy) ([]*v1alpha1.LoadBalancingPolicy,
	map[types.NamespacedName]*v1alpha1.LoadBalancingPolicy) {
	unique := uniquePolicies(policies)
	winners := make(map[types.NamespacedName]*v1alpha1.LoadBalancingPolicy)
	for _, p := range unique {
		for _, name := range targetNames(p) {
			svc := types.NamespacedName{Namespace: p.Namespace, Name: name}
			if w, ok := winners[svc]; !ok || Older(p, w) {
				winners[svc] = p
			}
		}
	}
	return unique, winners
}

// overridesOf takes the override of every existing Service from its winner.
func overridesOf(winners map[types.NamespacedName]*v1alpha1.LoadBalancingPolicy, exists ServiceExists) map[types.NamespacedName]Override {
	if exists == nil {
		exists = everyServiceExists
	}
	out := make(map[types.NamespacedName]Override, len(winners))
	for svc, w := range winners {
		if exists(svc) {
			out[svc] = overrideOf(w)
		}
	}
	return out
}

// uniquePolicies drops nil entries and repeated keys, keeping the first.
func uniquePolicies(policies []*v1alpha1.LoadBalancingPolicy) []*v1alpha1.LoadBalancingPolicy {
	seen := make(map[types.NamespacedName]bool, len(policies))
	out := make([]*v1alpha1.LoadBalancingPolicy, 0, len(policies))
	for _, p := range policies {
		if p == nil || seen[keyOf(p)] {
			continue
		}
		seen[keyOf(p)] = true
		out = append(out, p)
	}
	return out
}

// targetNames returns the policy's target names in spec order, each once. The CRD's CEL rule
// already rejects duplicates; the agent must not trust that for objects of an older CRD version.
func targetNames(p *v1alpha1.LoadBalancingPolicy) []string {
	names := make([]string, 0, len(p.Spec.TargetRefs))
	for _, t := range p.Spec.TargetRefs {
		if !slices.Contains(names, t.Name) {
			names = append(names, t.Name)
		}
	}
	return names
}

func keyOf(p *v1alpha1.LoadBalancingPolicy) types.NamespacedName {
	return types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
}

func overrideOf(p *v1alpha1.LoadBalancingPolicy) Override {
	o := Override{Policy: keyOf(p), Scheduler: string(p.Spec.Scheduler)}
	if sp := p.Spec.SessionPersistence; sp != nil && sp.TimeoutSeconds > 0 {
		o.PersistenceTimeout = uint32(sp.TimeoutSeconds)
	}
	if d := p.Spec.DrainTimeout; d != nil {
		v := max(d.Duration, 0)
		o.DrainTimeout = &v
	}
	return o
}
