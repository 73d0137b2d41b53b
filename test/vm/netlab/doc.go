// Package netlab builds the VM suite's network: "pods" are network namespaces joined to the root
// namespace (the node) by veth pairs — 10.0.N.1 on the root side, 10.0.N.2 in the pod, the pod's
// default route via 10.0.N.1 — each running real TCP and UDP servers that answer with their name and
// the source address they saw; a client namespace built the same way stands for a machine off the
// node, whose packets are routed through the root namespace.
//
// Sockets take the network namespace of the thread that creates them, so every namespace-bound action
// runs on a goroutine locked to an OS thread that has entered the namespace; that thread is never
// handed back to the Go scheduler (it ends with the goroutine).
package netlab
