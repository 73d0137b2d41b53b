package controllers

import (
	"context"
	"slices"

	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// IndexPolicyTarget indexes LoadBalancingPolicies by the names of their target Services (the
// cache scopes it by namespace, and a policy only targets Services of its own namespace).
const IndexPolicyTarget = "slicelb.io/policy-target"

func policyTargetKeys(obj client.Object) []string {
	p, ok := obj.(*v1alpha1.LoadBalancingPolicy)
	if !ok {
		return nil
	}
	return targetNamesOf(p)
}

// targetNamesOf returns the policy's target Service names, each once.
func targetNamesOf(p *v1alpha1.LoadBalancingPolicy) []string {
	names := make([]string, 0, len(p.Spec.TargetRefs))
	for _, t := range p.Spec.TargetRefs {
		if !slices.Contains(names, t.Name) {
			names = append(names, t.Name)
		}
	}
	return names
}

// policiesTargeting returns the policies of the namespace targeting any of the names, each once.
func policiesTargeting(ctx context.Context, r client.Reader, namespace string, names []string) ([]*v1alpha1.LoadBalancingPolicy, error) {
	var out []*v1alpha1.LoadBalancingPolicy
	seen := map[string]bool{}
	for _, name := range names {
		var list v1alpha1.LoadBalancingPolicyList
		if err := r.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{IndexPolicyTarget: name}); err != nil {
			return nil, err
		}
		for i := range list.Items {
			if p := &list.Items[i]; !seen[p.Name] {
				seen[p.Name] = true
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func requestsFor(ps []*v1alpha1.LoadBalancingPolicy) []ctrl.Request {
	reqs := make([]ctrl.Request, len(ps))
	for i, p := range ps {
		reqs[i] = ctrl.Request{NamespacedName: client.ObjectKeyFromObject(p)}
	}
	return reqs
}

// peerHandler re-queues the policies sharing a target with a policy that was created, deleted or
// retargeted: those are the events that can change who wins a Service (a new policy can be older
// by name on a timestamp tie). The policy itself is queued by For. Other spec changes (scheduler,
// timeouts) and status writes never change another policy's status, so they queue nothing here.
func peerHandler(r client.Reader) handler.EventHandler {
	peers := func(ctx context.Context, q workqueue.TypedRateLimitingInterface[ctrl.Request], ps ...client.Object) {
		var names []string
		for _, obj := range ps {
			if p, ok := obj.(*v1alpha1.LoadBalancingPolicy); ok {
				names = append(names, targetNamesOf(p)...)
			}
		}
		found, err := policiesTargeting(ctx, r, ps[0].GetNamespace(), names)
		if err != nil {
			log.FromContext(ctx).Error(err, "Failed to list the LoadBalancingPolicies sharing a target",
				"loadBalancingPolicy", client.ObjectKeyFromObject(ps[0]))
		}
		for _, req := range requestsFor(found) {
			if req.Name != ps[0].GetName() {
				q.Add(req)
			}
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			peers(ctx, q, e.Object)
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			oldP, okOld := e.ObjectOld.(*v1alpha1.LoadBalancingPolicy)
			newP, okNew := e.ObjectNew.(*v1alpha1.LoadBalancingPolicy)
			if okOld && okNew && !slices.Equal(targetNamesOf(oldP), targetNamesOf(newP)) {
				peers(ctx, q, e.ObjectNew, e.ObjectOld)
			}
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[ctrl.Request]) {
			peers(ctx, q, e.Object)
		},
	}
}
