// Package cluster runs a local Kubernetes control plane — etcd and kube-apiserver from the envtest
// binaries, as real processes on loopback — for the end-to-end suite and `make demo`.
//
// It is envtest's ControlPlane with what those two need on top:
//   - a state directory that holds everything (etcd data, certificates, logs/, the admin kubeconfig,
//     pids), so a human can `kubectl --kubeconfig DIR/kubeconfig` into it and read the logs;
//   - kubeconfigs for ServiceAccounts, minted with the TokenRequest API, so that a binary runs with
//     exactly the RBAC its ServiceAccount is bound to (the admin kubeconfig is system:masters and
//     would hide every missing permission);
//   - a guest variant of any kubeconfig for the test VM, whose user-mode network reaches the host's
//     loopback as 10.0.2.2 while the serving certificate names only localhost and 127.0.0.1;
//   - a detached mode: the processes outlive the Go program that started them (`make demo` exits,
//     the control plane keeps serving) and StopDir kills them later by the pids recorded in the
//     state directory (`make demo-down`);
//   - slicelb's binaries (or any other program) started as processes with a kubeconfig, their
//     output collected into DIR/logs/NAME.log.
//
// The API server serves Services from 10.96.0.0/16 by default: envtest's own default is a /24
// (254 Services), too small for the scale specs.
package cluster
