package netif

// Sysctls selects the optional kernel settings.
type Sysctls struct {
	// StrictARP makes the node answer ARP only for addresses on the receiving interface
	// (--strict-arp), so VIPs (local routes, no interface's address; see the package comment) are
	// not announced on the node's network; MetalLB's L2 mode and kube-proxy's strictARP need it.
	StrictARP bool
}

// Sysctl is one /proc/sys setting, Path relative to /proc/sys.
type Sysctl struct {
	Path  string
	Value string
}

// Required lists the sysctls the agent writes, in order.
//
//   - net/ipv4/vs/conntrack=1: IPVS keeps netfilter conntrack entries for its connections, which the
//     masquerade rules of package nat and the UDP conntrack clean-up rely on.
//   - net/ipv4/vs/expire_nodest_conn=1: packets of a connection whose real server was deleted expire
//     the connection at once instead of being dropped until it times out.
//   - net/ipv4/vs/expire_quiescent_template=1: persistence templates pointing at a weight-0 (draining)
//     real server expire, so ClientIP affinity moves clients off a terminating endpoint.
//   - net/ipv4/ip_forward=1: IPVS NAT forwards packets to pods in other network namespaces.
//   - net/ipv4/conf/all/arp_ignore=1, arp_announce=2 with StrictARP (kube-proxy's values).
func Required(s Sysctls) []Sysctl {
	out := []Sysctl{
		{Path: "net/ipv4/vs/conntrack", Value: "1"},
		{Path: "net/ipv4/vs/expire_nodest_conn", Value: "1"},
		{Path: "net/ipv4/vs/expire_quiescent_template", Value: "1"},
		{Path: "net/ipv4/ip_forward", Value: "1"},
	}
	if s.StrictARP {
		out = append(out,
			Sysctl{Path: "net/ipv4/conf/all/arp_ignore", Value: "1"},
			Sysctl{Path: "net/ipv4/conf/all/arp_announce", Value: "2"},
		)
	}
	return out
}
