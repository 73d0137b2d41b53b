// Package e2e is slicelb's end-to-end suite: the whole system on one machine, against a local
// control plane (etcd + kube-apiserver as processes, package test/cluster) that one suite run
// starts once and every spec shares.
//
// The specs here need no VM: `make deploy` applies config/default server-side; slicelb-controller
// and slicelb-node run as processes (slicelb-node with --fake-kernel: this host's kernel has no
// IPVS), each with its manifest's arguments and authenticated as its own ServiceAccount with
// exactly the generated RBAC, and a missing permission fails the suite; neither can read Secrets; the applied Deployment and DaemonSet carry the required security settings. The control
// plane runs no kubelet and no kube-controller-manager, so the Deployment and DaemonSet never get
// pods: the binaries run next to the suite instead, with the arguments the manifests give them.
//
// Specs that boot the test VM as a node live beside these (same package, own files) and use the
// same shared state (suite_test.go: the suite variable, ensureDeployed, serviceAccountKubeconfig).
//
// Environment: KUBEBUILDER_ASSETS (kube-apiserver, etcd; required), KUBECTL (a kubectl to run
// `make deploy` with; default KUBEBUILDER_ASSETS/kubectl; without one the manifests
// are applied server-side from Go; KUBECTL=- forces that), KUSTOMIZE (default bin/kustomize-v5.8.2), E2E_STATE_DIR (keep
// the control plane's state and logs there instead of a temporary directory).
package e2e
