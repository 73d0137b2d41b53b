// Package ctrlbench runs the controller scenario of the benchmark: one contender (slicelb-controller
// or kube-controller-manager's endpoint controllers) as a separate process against a fresh local
// control plane (etcd + kube-apiserver started by envtest), a workload written by a high-QPS
// harness client, a watcher that times when the expected EndpointSlices and Endpoints appear, and
// the API server's own apiserver_request_total counters read before and after each phase.
package ctrlbench
