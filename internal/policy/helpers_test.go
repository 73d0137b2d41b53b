package policy

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// epoch is the creation time of the oldest policies of the tables.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// lbp is a policy in namespace ns created `age` seconds after epoch, at generation 1, with the
// rr scheduler.
func lbp(ns, name string, created int, targets ...string) *v1alpha1.LoadBalancingPolicy {
	p := &v1alpha1.LoadBalancingPolicy{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: name, Generation: 1,
			CreationTimestamp: metav1.NewTime(epoch.Add(time.Duration(created) * time.Second)),
		},
		Spec: v1alpha1.LoadBalancingPolicySpec{Scheduler: v1alpha1.SchedulerRoundRobin},
	}
	for _, t := range targets {
		p.Spec.TargetRefs = append(p.Spec.TargetRefs, v1alpha1.LocalServiceReference{Kind: "Service", Name: t})
	}
	return p
}

// with applies changes to p and returns it.
func with(p *v1alpha1.LoadBalancingPolicy, change func(*v1alpha1.LoadBalancingPolicy)) *v1alpha1.LoadBalancingPolicy {
	change(p)
	return p
}

func key(ns, name string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: name}
}

func accepted(gen int64, msg string) metav1.Condition {
	return metav1.Condition{Type: v1alpha1.ConditionAccepted, Status: metav1.ConditionTrue,
		Reason: v1alpha1.ReasonAccepted, Message: msg, ObservedGeneration: gen}
}

func rejected(reason string, gen int64, msg string) metav1.Condition {
	return metav1.Condition{Type: v1alpha1.ConditionAccepted, Status: metav1.ConditionFalse,
		Reason: reason, Message: msg, ObservedGeneration: gen}
}

func rr(ns, policy string) Override {
	return Override{Policy: key(ns, policy), Scheduler: "rr"}
}

func dur(d time.Duration) *time.Duration { return &d }
