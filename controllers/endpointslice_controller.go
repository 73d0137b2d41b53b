package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// EndpointSliceReconciler keeps the EndpointSlices of every in-scope selector Service
// equal to endpoints.PlanSlices' result, the job of kube-controller-manager's
// endpointslice-controller.
type EndpointSliceReconciler struct {
	reconcilerBase
}

// NewEndpointSliceReconciler returns a reconciler reading from the manager's cache.
func NewEndpointSliceReconciler(mgr ctrl.Manager, opts Options) *EndpointSliceReconciler {
	return &EndpointSliceReconciler{reconcilerBase: newReconcilerBase(mgr, opts, "slicelb-endpointslice-controller")}
}

// SetupWithManager registers the controller: Services in scope, our slices (by their
// service-name label), the pods (selector-term index) and Node zone changes.
func (r *EndpointSliceReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.init()
	mapper := serviceMapper{reader: r.Reader, scope: r.Options.ServiceSelector}
	return ctrl.NewControllerManagedBy(mgr).
		Named(EndpointSliceControllerName).
		For(&corev1.Service{}, r.Options.scopePredicate()).
		Watches(&discoveryv1.EndpointSlice{}, handler.EnqueueRequestsFromMapFunc(sliceService(endpoints.ManagedByValue))).
		Watches(&corev1.Pod{}, podHandler(mapper, r.Options.BatchPeriod)).
		Watches(&corev1.Node{}, nodeHandler(mapper, r.Options.BatchPeriod)).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Options.workers()}).
		Complete(r)
}

func (r *EndpointSliceReconciler) writer() sliceWriter {
	return sliceWriter{client: r.Client, tracker: r.tracker, metrics: sliceMetrics, recorder: r.Recorder}
}

// Reconcile brings one Service's EndpointSlices to their planned state.
func (r *EndpointSliceReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	r.init()
	svc, err := getService(ctx, r.Reader, req.NamespacedName)
	if err != nil || (svc != nil && !r.Options.inScope(svc)) {
		return ctrl.Result{}, err
	}
	if svc == nil {
		// Our slices carry a controller ownerReference to the Service: the garbage
		// collector removes them (upstream relies on the same), nothing to write here.
		r.notices.forget(req.NamespacedName)
		r.tracker.Forget(req.NamespacedName)
		sliceMetrics.totals.set(req.NamespacedName, serviceTotal{})
		return ctrl.Result{}, nil
	}
	existing, err := listSlices(ctx, r.Reader, req.NamespacedName)
	if err != nil {
		return ctrl.Result{}, err
	}
	if r.tracker.Stale(req.NamespacedName, versionsOf(existing, endpoints.ManagedByValue)) {
		return staleResult(controllerSlice), nil
	}
	plan, err := r.plan(ctx, svc, existing)
	if err != nil {
		return ctrl.Result{}, err
	}
	err = r.writer().apply(ctx, req.NamespacedName, svc, plan)
	r.writer().recordSync(req.NamespacedName, existing, endpoints.ManagedByValue, plan, r.maxPerSlice(), err)
	return ctrl.Result{}, err
}

// plan gathers the pods and their Nodes and asks the planner; a Service that no longer
// selects pods (selector removed, ExternalName) gets a plan removing every slice of ours,
// which upstream leaves behind (kubernetes#118376).
func (r *EndpointSliceReconciler) plan(ctx context.Context, svc *corev1.Service, existing []*discoveryv1.EndpointSlice) (endpoints.SlicePlan, error) {
	key := client.ObjectKeyFromObject(svc)
	if !selectsPods(svc) {
		r.notices.forget(key)
		plan := deleteAllPlan(existing, endpoints.ManagedByValue)
		if len(plan.Delete) > 0 {
			ownedObjectsRemoved.WithLabelValues("EndpointSlice").Add(float64(len(plan.Delete)))
		}
		return plan, nil
	}
	pods, err := listPods(ctx, r.Reader, svc)
	if err != nil {
		return endpoints.SlicePlan{}, err
	}
	nodes, err := listNodes(ctx, r.Reader, pods)
	if err != nil {
		return endpoints.SlicePlan{}, err
	}
	plan, problems := endpoints.PlanSlices(endpoints.Input{
		Service: svc, Pods: pods, Nodes: nodes, TriggerTime: triggerTime(svc, pods),
	}, existing, endpoints.SliceOptions{MaxEndpointsPerSlice: r.maxPerSlice()})
	r.notices.post(key, topicProblems, svc, problemNotices(problems))
	return plan, nil
}

func (r *EndpointSliceReconciler) maxPerSlice() int {
	if r.Options.MaxEndpointsPerSlice == 0 {
		return endpoints.DefaultMaxEndpointsPerSlice
	}
	return r.Options.MaxEndpointsPerSlice
}
