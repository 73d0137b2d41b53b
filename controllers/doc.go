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
//
// Decisions where upstream gives no answer or a different one:
//   - An Endpoints object of a selector Service without endpoints.kubernetes.io/managed-by
//     is adopted (upstream's endpoints-controller overwrites it too); one whose managed-by
//     names another writer is never written: a ForeignEndpoints Warning (once while it
//     lasts) and slicelb_controller_foreign_endpoints_skipped_total instead.
//   - When a Service loses its selector or becomes ExternalName, the Endpoints and
//     EndpointSlices carrying our managed-by are removed (upstream leaves them,
//     kubernetes#91072 and #118376); a deleted Service's slices are left to the garbage
//     collector (controller ownerReference), its Endpoints of ours are deleted.
//   - A Service outside --service-selector is left entirely alone, including objects this
//     controller wrote while it was in scope: another controller may be taking it over.
//   - Planner problems (a pod without the named target port, invalid or too many mirrored
//     addresses) become one Warning per reason and Service port while they last, so a
//     resync that finds the same problems writes nothing.
package controllers
