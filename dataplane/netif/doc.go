// Package netif owns the node's kernel-facing network settings that IPVS needs besides the virtual
// servers themselves: the dummy device slicelb0 that holds every Service VIP, and the sysctls.
//
// IPVS only sees packets addressed to a local address, so every VIP the agent balances (ClusterIP,
// externalIPs, load-balancer ingress) is bound to slicelb0 as a /32 or /128, exactly as kube-proxy's
// IPVS mode binds them to kube-ipvs0. The addresses on slicelb0 are also the agent's ownership mark:
// a virtual server whose VIP is on slicelb0 is the agent's, anything else belongs to someone else and
// is never touched (see DESIGN.md, "never destroy what is not ours").
//
// Interface is the port; the Linux implementation (New) speaks rtnetlink in a given network namespace
// (or the current one) and writes /proc/sys from a thread inside that namespace; Fake is an in-memory
// implementation for the agent's unit tests. The real implementation is exercised in test/vm.
package netif
