// Package endpoints is slicelb's pure endpoint planner.
//
// Given a Service, the Pods its selector matches, the Nodes (for zones) and the objects that already
// exist, it computes:
//
//   - which pods are endpoints and with which conditions (ready, serving, terminating),
//   - the desired core/v1 Endpoints object (DesiredEndpoints, MergeEndpoints, EndpointsEqual),
//   - a churn-minimal plan of EndpointSlice creates, updates and deletes (PlanSlices),
//   - the mirroring plan that turns hand-written Endpoints of selectorless Services into
//     EndpointSlices (PlanMirror, ShouldMirror).
//
// The package follows the behaviour of kube-controller-manager v1.37's endpoints-controller,
// endpointslice-controller and endpointslice-mirroring-controller (k8s.io/endpointslice and
// k8s.io/kubernetes/pkg/controller/...), with the deviations documented on each function.
//
// It is pure on purpose: no API client, no clock (the trigger time is an input), no globals and no
// mutation of its inputs. The reconcilers in controllers/ read from their cache, call this package
// and write exactly the difference it returns, which is what makes "a resync with nothing changed
// performs zero writes" a property that table and fuzz tests can prove without an API server.
package endpoints
