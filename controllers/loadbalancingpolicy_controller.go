package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/internal/policy"
)

// LoadBalancingPolicyControllerName names the controller (metrics, logs).
const LoadBalancingPolicyControllerName = "loadbalancingpolicy"

// The policy controller only reads Services and policies, and writes the policies' status and
// Events about them.

// +kubebuilder:rbac:groups=networking.slicelb.io,resources=loadbalancingpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.slicelb.io,resources=loadbalancingpolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// LoadBalancingPolicyReconciler keeps the Accepted condition of every LoadBalancingPolicy equal to
// what internal/policy resolves: the same function the node agent uses to program IPVS, so the
// status says what the data path does.
type LoadBalancingPolicyReconciler struct {
	// Client writes; Reader reads (the manager's cache; defaults to Client).
	Client   client.Client
	Reader   client.Reader
	Recorder events.EventRecorder
}

// NewLoadBalancingPolicyReconciler returns a reconciler reading from the manager's cache.
func NewLoadBalancingPolicyReconciler(mgr ctrl.Manager) *LoadBalancingPolicyReconciler {
	return &LoadBalancingPolicyReconciler{
		Client: mgr.GetClient(), Reader: mgr.GetCache(),
		Recorder: mgr.GetEventRecorder("slicelb-loadbalancingpolicy-controller"),
	}
}

// SetupWithManager registers the target index and the controller: a policy event reconciles the
// policy and, when it can change who wins, the policies sharing a target with it; a Service that
// appears or disappears reconciles the policies targeting it. Service updates are ignored: a
// policy's status depends only on whether its targets exist.
func (r *LoadBalancingPolicyReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Reader == nil {
		r.Reader = r.Client
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &v1alpha1.LoadBalancingPolicy{},
		IndexPolicyTarget, policyTargetKeys); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(LoadBalancingPolicyControllerName).
		For(&v1alpha1.LoadBalancingPolicy{}).
		Watches(&v1alpha1.LoadBalancingPolicy{}, peerHandler(r.Reader)).
		Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(r.policiesOfService),
			builder.WithPredicates(predicate.Funcs{UpdateFunc: func(_ event.UpdateEvent) bool { return false }})).
		Complete(r)
}

// Reconcile sets one policy's Accepted condition.
func (r *LoadBalancingPolicyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &v1alpha1.LoadBalancingPolicy{}
	if err := r.Reader.Get(ctx, req.NamespacedName, p); err != nil {
		// Deleted: the delete event already re-queued the policies it may have beaten.
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	peers, err := policiesTargeting(ctx, r.Reader, p.Namespace, targetNamesOf(p))
	if err != nil {
		return ctrl.Result{}, err
	}
	exists, err := r.existingTargets(ctx, p)
	if err != nil {
		return ctrl.Result{}, err
	}
	// p first: Resolve keeps the first entry of a key, and the cache returns p among the peers.
	all := append([]*v1alpha1.LoadBalancingPolicy{p}, peers...)
	cond := policy.Resolve(all, exists).Accepted[req.NamespacedName]
	return r.writeStatus(ctx, p, cond)
}

// existingTargets looks the policy's target Services up in the cache.
func (r *LoadBalancingPolicyReconciler) existingTargets(ctx context.Context, p *v1alpha1.LoadBalancingPolicy) (policy.ServiceExists, error) {
	var found []types.NamespacedName
	for _, name := range targetNamesOf(p) {
		key := types.NamespacedName{Namespace: p.Namespace, Name: name}
		err := r.Reader.Get(ctx, key, &corev1.Service{})
		switch {
		case err == nil:
			found = append(found, key)
		case !apierrors.IsNotFound(err):
			return nil, err
		}
	}
	return policy.ServiceSet(found...), nil
}

// policiesOfService maps a Service event to the policies of its namespace that target it.
func (r *LoadBalancingPolicyReconciler) policiesOfService(ctx context.Context, svc client.Object) []ctrl.Request {
	ps, err := policiesTargeting(ctx, r.Reader, svc.GetNamespace(), []string{svc.GetName()})
	if err != nil {
		log.FromContext(ctx).Error(err, "Failed to list the LoadBalancingPolicies of a Service",
			"service", client.ObjectKeyFromObject(svc))
	}
	return requestsFor(ps)
}
