package policy

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// acceptedCondition is the policy's Accepted condition.
//
// Precedence when a policy both loses a Service and misses another: Conflicted. A conflict means an
// existing Service the user pointed at is governed by a different policy right now, which only the
// user can resolve; a missing target changes nothing in the data path and often resolves itself
// (the Service is created later). The Conflicted message still lists the missing targets.
func acceptedCondition(p *v1alpha1.LoadBalancingPolicy, winners map[types.NamespacedName]*v1alpha1.LoadBalancingPolicy,
	exists ServiceExists) metav1.Condition {
	var won, missing, conflicts []string
	for _, name := range targetNames(p) {
		svc := types.NamespacedName{Namespace: p.Namespace, Name: name}
		w := winners[svc]
		switch {
		case w != p:
			conflicts = append(conflicts, fmt.Sprintf("Service %q is governed by the older LoadBalancingPolicy %q", name, w.Name))
		case !exists(svc):
			missing = append(missing, name)
		default:
			won = append(won, name)
		}
	}
	c := metav1.Condition{
		Type:               v1alpha1.ConditionAccepted,
		Status:             metav1.ConditionFalse,
		ObservedGeneration: p.Generation,
	}
	switch {
	case len(conflicts) > 0:
		c.Reason = v1alpha1.ReasonConflicted
		c.Message = strings.Join(conflicts, "; ")
		if len(missing) > 0 {
			c.Message += "; " + notFound(missing)
		}
	case len(missing) > 0:
		c.Reason = v1alpha1.ReasonTargetNotFound
		c.Message = notFound(missing)
		if len(won) > 0 {
			c.Message += "; applied to " + services(won)
		}
	default:
		c.Status = metav1.ConditionTrue
		c.Reason = v1alpha1.ReasonAccepted
		c.Message = "Applied to " + services(won)
	}
	return c
}

// notFound is "Service "a" not found" or "Services "a", "b" not found".
func notFound(names []string) string {
	return services(names) + " not found"
}

// services is `Service "a"` or `Services "a", "b"`.
func services(names []string) string {
	if len(names) == 0 {
		return "no Service"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	if len(names) == 1 {
		return "Service " + quoted[0]
	}
	return "Services " + strings.Join(quoted, ", ")
}
