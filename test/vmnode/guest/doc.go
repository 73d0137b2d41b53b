// Command guest is PID 1 of the VM node (test/vmnode): it brings up qemu's user-mode network,
// runs the real slicelb-node binary against the host's control plane, runs a kubelet stand-in
// that gives every Pod bound to this node a network namespace at the Pod's reported IP with an
// HTTP server and a UDP echo, and serves a control endpoint through which the host sends traffic
// from a client namespace and reads the node's IPVS table.
package main
