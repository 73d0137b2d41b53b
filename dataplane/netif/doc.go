// Package netif owns the node's kernel-facing network settings that IPVS needs besides the virtual
// servers themselves: the dummy device slicelb0 that holds every Service VIP, and the sysctls.
//
// IPVS only sees packets addressed to a local destination, so every VIP the agent balances
// (ClusterIP, externalIPs, load-balancer ingress) is made local with a route
// `local VIP/32 (or /128) dev slicelb0 table local proto 211 scope host`. kube-proxy's IPVS mode
// binds each VIP as an address on kube-ipvs0 instead, and the kernel's cost per address grows with
// the number of addresses on the device (10,000 took seconds); a route insert is O(log n) in the
// FIB. A packet whose destination has a local route is delivered locally (ip_local_deliver and
// NF_INET_LOCAL_IN for traffic from outside or other namespaces; output through loopback with
// NF_INET_LOCAL_OUT for node-local clients), which is where IPVS hooks in, exactly as for an
// address.
//
// The local routes on slicelb0 with RouteProtocol are also the agent's ownership mark: a virtual
// server whose VIP has such a route is the agent's, anything else belongs to someone else and is
// never touched (see DESIGN.md, "never destroy what is not ours"). Agents before local routes bound
// the VIPs as addresses; EnsureDevice converts those, and until it has, they count as owned too.
//
// Strict ARP (arp_ignore=1, arp_announce=2, see Required) keeps working, and more simply than with
// addresses: arp_ignore=1 makes the kernel answer an ARP request only when the target is an
// address configured on the interface the request came in on (inet_confirm_addr with the incoming
// device). A VIP with a local route is an address of no interface, so no interface answers for it;
// with arp_ignore=0 the kernel would answer on every interface, since the target's route is local.
// arp_announce=2 picks the source of the node's own ARP requests from the outgoing interface's
// addresses, never a VIP. IPv6 neighbour discovery answers only for assigned addresses, never for
// a local route.
//
// Interface is the port; the Linux implementation (New) speaks rtnetlink in a given network namespace
// (or the current one) and writes /proc/sys from a thread inside that namespace; Fake is an in-memory
// implementation for the agent's unit tests. The real implementation is exercised in test/vm.
package netif
