// Package controllers holds slicelb-controller's reconcilers: EndpointsReconciler,
// EndpointSliceReconciler and EndpointSliceMirroringReconciler.
//
// Each Reconcile reads like a table of contents: fetch the Service (NotFound → clean up
// what carries our mark), gather inputs from the informer cache (Pods through the
// Pod→Service selector index, Nodes for zones, existing objects through the slice→Service
// field index), call the pure planner in internal/endpoints, apply the plan with the
// smallest number of writes, and record events and metrics. Planning never happens here;
// applying never happens in the planner.
//
// Two guards keep the controller a good neighbour:
//   - ownership: only objects carrying our managed-by label are ever changed or removed
//     (Endpoints of selectorless Services belong to the user; EndpointSlices with another
//     endpointslice.kubernetes.io/managed-by belong to another controller);
//   - freshness: a per-Service write tracker remembers what this controller wrote, and a
//     reconcile whose cache has not observed those writes yet requeues instead of writing.
package controllers
