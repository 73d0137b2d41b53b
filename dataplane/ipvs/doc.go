// Package ipvs is slicelb-node's port to the kernel's IP Virtual Server.
//
// It holds three things, modelled on kube-proxy's pkg/proxy/ipvs/util:
//
//   - value types (VirtualServer, RealServer, their keys, Table) with Equal and
//     String, so the pure proxier can diff desired against current state;
//   - Interface, the narrow set of operations slicelb needs (list/add/update/
//     delete virtual servers and their real servers);
//   - two implementations: Netlink (netlink_linux.go, over github.com/moby/ipvs,
//     linux only) and Fake, an in-memory kernel that counts reads and writes,
//     injects errors and exposes its whole state for table tests.
//
// Every real server is programmed with NAT (masquerade) forwarding, the only
// mode that works for pods behind a Service VIP without touching the pods.
//
// The host kernel of the development machine has no IPVS; Netlink is exercised
// by the VM suite (test/vm), which boots a kernel with the ip_vs modules.
package ipvs
