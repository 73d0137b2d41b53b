// Package vmnode boots the test VM (test/vm's kernel and harness) as a Kubernetes node of a local
// control plane (test/cluster): the real slicelb-node binary runs inside against the API server
// (reached through qemu's user-mode network as 10.0.2.2), a kubelet stand-in gives every Pod bound
// to the node a network namespace at the Pod's reported IP with an HTTP server (answering its name,
// e.g. GET /hostname.html) and a UDP echo, and a control endpoint, forwarded to a host loopback
// port, lets the host send traffic from a client namespace inside the VM (through the node's
// IPVS), read `slicelb-node status` and list the VIPs on slicelb0.
//
// The host registers the Node object (InternalIP 10.0.2.15) before the boot. Every kubeconfig the
// guest uses is a ServiceAccount token baked into the initramfs: slicelb-node's own (exactly its
// deployed RBAC) and the kubelet stand-in's (get/list/watch Pods only).
package vmnode
