package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// EndpointsReconciler keeps the Endpoints object of every in-scope selector Service equal
// to endpoints.DesiredEndpoints, the job of kube-controller-manager's endpoints-controller.
type EndpointsReconciler struct {
	reconcilerBase
}

// NewEndpointsReconciler returns a reconciler reading from the manager's cache.
func NewEndpointsReconciler(mgr ctrl.Manager, opts Options) *EndpointsReconciler {
	return &EndpointsReconciler{reconcilerBase: newReconcilerBase(mgr, opts, "slicelb-endpoints-controller")}
}

// SetupWithManager registers the controller: Services in scope, the pods they select
// (through the selector-term index) and the Endpoints objects of the same name.
func (r *EndpointsReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.init()
	mapper := serviceMapper{reader: r.Reader, scope: r.Options.ServiceSelector}
	return ctrl.NewControllerManagedBy(mgr).
		Named(EndpointsControllerName).
		For(&corev1.Service{}, r.Options.scopePredicate()).
		Watches(&corev1.Endpoints{}, handler.EnqueueRequestsFromMapFunc(sameName)).
		Watches(&corev1.Pod{}, podHandler(mapper, r.Options.BatchPeriod)).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.workers()}).
		Complete(r)
}

// Reconcile brings one Service's Endpoints object to its desired state.
func (r *EndpointsReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r.init()
	svc, err := getService(ctx, r.Reader, req.NamespacedName)
	if err != nil || (svc != nil && !r.Options.inScope(svc)) {
		return ctrl.Result{}, err
	}
	existing, err := getEndpoints(ctx, r.Reader, req.NamespacedName)
	if err != nil {
		return ctrl.Result{}, err
	}
	if r.tracker.Stale(req.NamespacedName, endpointsVersion(existing)) {
		return staleResult(controllerEndpoint), nil
	}
	if svc == nil {
		r.notices.forget(req.NamespacedName)
	}
	if !selectsPods(svc) {
		// Service gone, selectorless or ExternalName: only an object of ours is removed;
		// a selectorless Service's Endpoints is the user's and stays untouched.
		return ctrl.Result{}, r.removeOurs(ctx, svc, existing)
	}
	if _, foreign := foreignManager(existing); foreign {
		r.skipForeign(svc, existing)
		return ctrl.Result{}, nil
	}
	r.notices.post(req.NamespacedName, topicForeign, svc, nil)
	pods, err := listPods(ctx, r.Reader, svc)
	if err != nil {
		return ctrl.Result{}, err
	}
	desired, problems := endpoints.DesiredEndpoints(endpoints.Input{
		Service: svc, Pods: pods, TriggerTime: triggerTime(svc, pods),
	})
	r.notices.post(req.NamespacedName, topicProblems, svc, problemNotices(problems))
	err = r.write(ctx, svc, existing, desired)
	recordEndpointsSync(err)
	return ctrl.Result{}, err
}
