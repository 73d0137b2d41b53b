package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// EndpointSliceMirroringReconciler mirrors the hand-written Endpoints of selectorless
// Services into EndpointSlices (managed-by endpoints.MirrorManagedByValue), the job of
// kube-controller-manager's endpointslice-mirroring-controller. It never writes Endpoints.
type EndpointSliceMirroringReconciler struct {
	reconcilerBase
}

// NewEndpointSliceMirroringReconciler returns a reconciler reading from the manager's cache.
func NewEndpointSliceMirroringReconciler(mgr ctrl.Manager, opts Options) *EndpointSliceMirroringReconciler {
	return &EndpointSliceMirroringReconciler{reconcilerBase: newReconcilerBase(mgr, opts, "slicelb-endpointslice-mirroring-controller")}
}

// SetupWithManager registers the controller: Endpoints objects, the Service of the same
// name (selector added or removed changes whether it is mirrored) and our mirrored slices.
func (r *EndpointSliceMirroringReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.init()
	return ctrl.NewControllerManagedBy(mgr).
		Named(EndpointSliceMirroringControllerName).
		For(&corev1.Endpoints{}).
		Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(sameName)).
		Watches(&discoveryv1.EndpointSlice{}, handler.EnqueueRequestsFromMapFunc(sliceService(endpoints.MirrorManagedByValue))).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.workers()}).
		Complete(r)
}

// Reconcile brings the mirrored slices of one Endpoints object to their planned state.
// The planner decides everything else: no Service, a selector, no Endpoints, skip-mirror
// or our own (selector-derived) Endpoints all yield a plan that removes our mirrored slices.
func (r *EndpointSliceMirroringReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r.init()
	svc, err := getService(ctx, r.Reader, req.NamespacedName)
	if err != nil || (svc != nil && !r.Options.inScope(svc)) {
		return ctrl.Result{}, err
	}
	ep, err := getEndpoints(ctx, r.Reader, req.NamespacedName)
	if err != nil {
		return ctrl.Result{}, err
	}
	existing, err := listSlices(ctx, r.Reader, req.NamespacedName)
	if err != nil {
		return ctrl.Result{}, err
	}
	if r.tracker.Stale(req.NamespacedName, versionsOf(existing, endpoints.MirrorManagedByValue)) {
		return staleResult(controllerMirror), nil
	}
	plan, problems := endpoints.PlanMirror(svc, ep, existing, endpoints.MirrorOptions{})
	var regarding runtime.Object // events about mirroring are reported on the Endpoints
	if ep != nil {
		regarding = ep
		r.notices.post(req.NamespacedName, topicProblems, ep, problemNotices(problems))
	} else {
		r.notices.forget(req.NamespacedName)
	}
	w := sliceWriter{client: r.Client, tracker: r.tracker, metrics: mirrorMetrics, recorder: r.Recorder}
	err = w.apply(ctx, req.NamespacedName, regarding, plan)
	w.recordSync(req.NamespacedName, existing, endpoints.MirrorManagedByValue, plan, endpoints.DefaultMaxAddressesPerMirroredSubset, err)
	return ctrl.Result{}, err
}
