//go:build linux

package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/test/vm/netlab"
)

// podGateway is the link-local next hop every pod routes through (as Calico does): the node side
// of each pod's veth answers ARP for it by proxy, so pods need no per-node subnet and any IP the
// Pod object reports works.
var podGateway = netip.MustParseAddr("169.254.1.1")

// newClientHost is the namespace the control endpoint sends traffic from (10.0.250.2, routed
// through the node's root namespace, so its packets meet IPVS like a pod's would).
func newClientHost() (*netlab.Host, error) {
	root, err := netns.Get()
	if err != nil {
		return nil, err
	}
	return netlab.NewHost(root, "client", 250)
}

// podNet is one pod's network namespace, joined to the root namespace by veth "pod<index>".
type podNet struct {
	ns    netns.NsHandle
	index int
}

// newPodNet creates the namespace with ip/32 on its eth0 and a default route via podGateway, and
// in the root namespace a /32 route to ip over the veth with proxy ARP on.
func newPodNet(index int, ip netip.Addr) (*podNet, error) {
	ns, err := newNamespace()
	if err != nil {
		return nil, err
	}
	p := &podNet{ns: ns, index: index}
	host := fmt.Sprintf("pod%d", index)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(ns))}
	if err := netlink.LinkAdd(veth); err != nil {
		_ = ns.Close()
		return nil, fmt.Errorf("veth %s: %w", host, err)
	}
	if err := p.configureRoot(host, ip); err != nil {
		_ = p.close()
		return nil, err
	}
	if err := p.configurePod(ip); err != nil {
		_ = p.close()
		return nil, err
	}
	return p, nil
}

func (p *podNet) configureRoot(host string, ip netip.Addr) error {
	link, err := netlink.LinkByName(host)
	if err != nil {
		return err
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/conf/"+host+"/proxy_arp", []byte("1"), 0o644); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return err
	}
	return netlink.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Scope: netlink.SCOPE_LINK,
		Dst: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(32, 32)}})
}

func (p *podNet) configurePod(ip netip.Addr) error {
	h, err := netlink.NewHandleAt(p.ns, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer h.Close()
	for _, name := range []string{"lo", "eth0"} {
		link, err := h.LinkByName(name)
		if err != nil {
			return err
		}
		if name == "eth0" {
			a := &netlink.Addr{IPNet: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(32, 32)}}
			if err := h.AddrAdd(link, a); err != nil {
				return fmt.Errorf("pod address %s: %w", ip, err)
			}
		}
		if err := h.LinkSetUp(link); err != nil {
			return err
		}
		if name == "eth0" {
			gw := &net.IPNet{IP: podGateway.AsSlice(), Mask: net.CIDRMask(32, 32)}
			if err := h.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Scope: netlink.SCOPE_LINK, Dst: gw}); err != nil {
				return err
			}
			if err := h.RouteAdd(&netlink.Route{LinkIndex: link.Attrs().Index, Gw: podGateway.AsSlice()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// close deletes the veth pair (its peer goes with it) and releases the namespace.
func (p *podNet) close() error {
	if link, err := netlink.LinkByName(fmt.Sprintf("pod%d", p.index)); err == nil {
		if err := netlink.LinkDel(link); err != nil {
			return err
		}
	}
	return p.ns.Close()
}

// newNamespace creates a network namespace on a thread of its own and leaves the calling thread
// where it was.
func newNamespace() (netns.NsHandle, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	c := make(chan result, 1)
	go func() {
		// Never unlocked: the thread ends with the goroutine instead of carrying the namespace.
		runtime.LockOSThread()
		ns, err := netns.New()
		c <- result{ns, err}
	}()
	r := <-c
	return r.ns, r.err
}
