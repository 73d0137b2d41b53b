package netlab

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Host is a network namespace attached to the root namespace by a veth pair: a pod or a client.
type Host struct {
	Name  string
	Index int
	NS    netns.NsHandle
	// IP is the host's address (10.0.Index.2); Gateway is the root side (10.0.Index.1).
	IP      netip.Addr
	Gateway netip.Addr
	// IP6 and Gateway6 are the same for IPv6: fd00:0:Index::2 and fd00:0:Index::1.
	IP6      netip.Addr
	Gateway6 netip.Addr
	servers  []func()
}

// HostIP is the address of host index n.
func HostIP(n int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(n), 2}) }

// hostIP6 is fd00:0:n::last.
func hostIP6(n int, last byte) netip.Addr {
	return netip.AddrFrom16([16]byte{0: 0xfd, 5: byte(n), 15: last})
}

// NewHost creates namespace + veth pair "vh<index>" (root) / "eth0" (inside), addresses and routes.
// root is the node's namespace. index must be 1..254 and unique.
func NewHost(root netns.NsHandle, name string, index int) (*Host, error) {
	h := &Host{Name: name, Index: index, IP: HostIP(index), Gateway: netip.AddrFrom4([4]byte{10, 0, byte(index), 1}),
		IP6: hostIP6(index, 2), Gateway6: hostIP6(index, 1)}
	ns, err := newNS(func() error { return nil })
	if err != nil {
		return nil, fmt.Errorf("creating namespace for %s: %w", name, err)
	}
	h.NS = ns
	rnl, err := netlink.NewHandleAt(root, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer rnl.Close()
	rootSide := fmt.Sprintf("vh%d", index)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: rootSide}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(ns))}
	if err := rnl.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("creating veth for %s: %w", name, err)
	}
	if err := configure(rnl, rootSide, netip.PrefixFrom(h.Gateway, 24), netip.Addr{}); err != nil {
		return nil, err
	}
	if err := configure(rnl, rootSide, netip.PrefixFrom(h.Gateway6, 64), netip.Addr{}); err != nil {
		return nil, err
	}
	hnl, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer hnl.Close()
	if err := configure(hnl, "lo", netip.Prefix{}, netip.Addr{}); err != nil {
		return nil, err
	}
	if err := configure(hnl, "eth0", netip.PrefixFrom(h.IP, 24), h.Gateway); err != nil {
		return nil, err
	}
	if err := configure(hnl, "eth0", netip.PrefixFrom(h.IP6, 64), h.Gateway6); err != nil {
		return nil, err
	}
	return h, nil
}

// configure brings dev up with addr (when valid) and a default route via gw (when valid).
func configure(nl *netlink.Handle, dev string, addr netip.Prefix, gw netip.Addr) error {
	link, err := nl.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("%s: %w", dev, err)
	}
	if addr.IsValid() {
		ipn := &net.IPNet{IP: addr.Addr().AsSlice(), Mask: net.CIDRMask(addr.Bits(), addr.Addr().BitLen())}
		na := &netlink.Addr{IPNet: ipn}
		if addr.Addr().Is6() {
			// Duplicate address detection would keep the address unusable for a second or two.
			na.Flags = unix.IFA_F_NODAD
		}
		if err := nl.AddrAdd(link, na); err != nil {
			return fmt.Errorf("address %s on %s: %w", addr, dev, err)
		}
	}
	if err := nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("%s up: %w", dev, err)
	}
	if gw.IsValid() {
		if err := nl.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: gw.AsSlice()}); err != nil {
			return fmt.Errorf("default route via %s: %w", gw, err)
		}
	}
	return nil
}

// Close stops the host's servers, deletes its veth pair and releases the namespace.
func (h *Host) Close(root netns.NsHandle) error {
	for _, stop := range h.servers {
		stop()
	}
	rnl, err := netlink.NewHandleAt(root, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer rnl.Close()
	if link, err := rnl.LinkByName(fmt.Sprintf("vh%d", h.Index)); err == nil {
		if err := rnl.LinkDel(link); err != nil {
			return err
		}
	}
	return h.NS.Close()
}
