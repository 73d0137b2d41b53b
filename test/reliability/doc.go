// Package reliability is slicelb's fault suite for the controller: a real control plane
// (etcd + kube-apiserver as processes, test/cluster) and the real slicelb-controller binary,
// put through an API server restart, a leader failover by SIGKILL, conflicting writers, a
// delayed watch (stale cache) and bad input. Every spec compares the final Endpoints and
// EndpointSlices with a fresh computation by internal/endpoints from the final pods and counts
// duplicated and lost endpoints; the measured outcomes (takeover time, writes duplicated,
// duplicate slices, lost endpoints) are printed at the end of the run.
//
// Each spec runs its own controller process(es) limited by --service-selector to the Services
// labelled reliability.slicelb.io/spec=<spec>, so specs never fight over an object.
// Run: KUBEBUILDER_ASSETS=... go test ./test/reliability/... -ginkgo.v (make test-reliability).
package reliability
