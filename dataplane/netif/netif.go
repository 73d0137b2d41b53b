package netif

import (
	"net/netip"
	"slices"
)

// DefaultDevice is the name of the dummy device that holds the VIPs.
const DefaultDevice = "slicelb0"

// RouteProtocol is the routing protocol number (rtm_protocol) of slicelb's local routes: the mark
// that makes a local route on the device the agent's. It is in the range include/uapi/linux/
// rtnetlink.h leaves unassigned (RTPROT_* values go up to 18, then 42 babel, 99 openr, 186-192
// bgp/isis/ospf/rip/eigrp; 80 is widely used by Calico's felix), so routing daemons do not claim
// it. `ip route show table local proto 211` lists the VIPs; an entry "211 slicelb" in
// /etc/iproute2/rt_protos.d/ makes iproute2 print the name.
const RouteProtocol = 211

// Interface is the kernel port for the VIP device and the sysctls.
type Interface interface {
	// EnsureDevice creates the dummy device when it is missing and brings it up. VIP addresses
	// an older agent bound to the device are converted into local routes (a one-time migration).
	EnsureDevice() error
	// Addresses lists the VIPs the device holds, sorted; empty when the device does not exist.
	// These are exactly the VIPs the agent owns. On Linux a VIP is held by a local route with
	// RouteProtocol on the device (or, before EnsureDevice migrated it, an older agent's address).
	Addresses() ([]netip.Addr, error)
	// SyncAddresses makes the device hold exactly want (stale VIPs are removed) and reports what
	// changed; a call with nothing to change makes no netlink write.
	SyncAddresses(want []netip.Addr) (Change, error)
	// EnsureSysctls writes the sysctls IPVS needs; values already in place are not rewritten.
	EnsureSysctls(s Sysctls) error
	// DeleteDevice removes the device and with it every VIP (slicelb-node --cleanup).
	DeleteDevice() error
}

// Change is what SyncAddresses did.
type Change struct {
	Added   []netip.Addr
	Removed []netip.Addr
}

// Empty reports whether nothing changed.
func (c Change) Empty() bool { return len(c.Added) == 0 && len(c.Removed) == 0 }

// DiffAddresses returns the addresses to add (in want, not in have) and to remove (in have, not in
// want), each sorted and deduplicated. Addresses are compared unmapped, so ::ffff:10.0.0.1 is 10.0.0.1.
func DiffAddresses(have, want []netip.Addr) Change {
	h := addrSet(have)
	w := addrSet(want)
	var c Change
	for a := range w {
		if _, ok := h[a]; !ok {
			c.Added = append(c.Added, a)
		}
	}
	for a := range h {
		if _, ok := w[a]; !ok {
			c.Removed = append(c.Removed, a)
		}
	}
	slices.SortFunc(c.Added, netip.Addr.Compare)
	slices.SortFunc(c.Removed, netip.Addr.Compare)
	return c
}

func addrSet(addrs []netip.Addr) map[netip.Addr]struct{} {
	s := make(map[netip.Addr]struct{}, len(addrs))
	for _, a := range addrs {
		if a.IsValid() {
			s[a.Unmap()] = struct{}{}
		}
	}
	return s
}

// prefixFor is the host prefix of a VIP's local route: /32 for IPv4, /128 for IPv6.
func prefixFor(a netip.Addr) netip.Prefix {
	return netip.PrefixFrom(a, a.BitLen())
}
