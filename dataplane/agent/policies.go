package agent

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/dataplane/proxier"
	"github.com/slicelb/slicelb/internal/policy"
)

// The agent reads LoadBalancingPolicies to apply their per-Service overrides.
// +kubebuilder:rbac:groups=networking.slicelb.io,resources=loadbalancingpolicies,verbs=get;list;watch

// CachedPolicies returns the per-Service overrides of the LoadBalancingPolicies in r, resolved by
// the same function the controller uses for the policies' status (internal/policy.Resolve), so the
// data path and the Accepted condition always agree on which policy wins a Service.
func CachedPolicies(ctx context.Context, r client.Reader) (map[types.NamespacedName]proxier.Policy, error) {
	var list v1alpha1.LoadBalancingPolicyList
	if err := r.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("listing LoadBalancingPolicies: %w", err)
	}
	ptrs := make([]*v1alpha1.LoadBalancingPolicy, len(list.Items))
	for i := range list.Items {
		ptrs[i] = &list.Items[i]
	}
	// Existence does not change a Service's winner, and a Service the snapshot lacks is not
	// programmed anyway: every Service counts as existing.
	return ProxierPolicies(policy.Overrides(ptrs, nil)), nil
}

// ProxierPolicies maps resolved overrides to the proxier's Policy. A policy's drainTimeout: 0s
// ("drop removed endpoints at once") becomes the smallest positive timeout, because the
// proxier's zero means "the agent's --drain-timeout": the real server goes to weight 0 and is
// deleted by the sync the agent schedules at that deadline (one --min-sync-period later).
func ProxierPolicies(overrides map[types.NamespacedName]policy.Override) map[types.NamespacedName]proxier.Policy {
	if len(overrides) == 0 {
		return nil
	}
	out := make(map[types.NamespacedName]proxier.Policy, len(overrides))
	for svc, o := range overrides {
		p := proxier.Policy{Scheduler: o.Scheduler, PersistenceTimeout: o.PersistenceTimeout}
		if o.DrainTimeout != nil {
			p.DrainTimeout = max(*o.DrainTimeout, time.Nanosecond)
		}
		out[svc] = p
	}
	return out
}
