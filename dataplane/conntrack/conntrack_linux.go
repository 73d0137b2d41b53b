package conntrack

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// dumpAttempts bounds the walks over an interrupted conntrack dump.
const dumpAttempts = 3

// Linux deletes conntrack entries over ctnetlink (the nf_conntrack_netlink module).
type Linux struct {
	nl *netlink.Handle
}

var _ Interface = (*Linux)(nil)

// New opens a ctnetlink handle in ns; the zero handle (or netns.None()) means the current namespace.
func New(ns netns.NsHandle) (*Linux, error) {
	var (
		h   *netlink.Handle
		err error
	)
	if ns <= 0 {
		h, err = netlink.NewHandle(unix.NETLINK_NETFILTER)
	} else {
		h, err = netlink.NewHandleAt(ns, unix.NETLINK_NETFILTER)
	}
	if err != nil {
		return nil, fmt.Errorf("opening ctnetlink: %w", err)
	}
	return &Linux{nl: h}, nil
}

// Close releases the handle.
func (l *Linux) Close() { l.nl.Close() }

// ClearUDP implements Interface.
func (l *Linux) ClearUDP(vs ipvs.VirtualServerKey, rs netip.AddrPort) error {
	_, err := l.ClearUDPCount(vs, rs)
	return err
}

// ClearUDPCount is ClearUDP that also reports how many entries it deleted.
func (l *Linux) ClearUDPCount(vs ipvs.VirtualServerKey, rs netip.AddrPort) (uint, error) {
	if vs.Protocol != ipvs.UDP {
		return 0, nil
	}
	family := netlink.FAMILY_V4
	if vs.Address.Unmap().Is6() {
		family = netlink.FAMILY_V6
	}
	// The conntrack table of a busy node changes all the time, so the dump the deletion walks is
	// often flagged as interrupted (possibly incomplete). The entries it did see are deleted even
	// then; walking again catches the rest.
	var total uint
	var err error
	for range dumpAttempts {
		var n uint
		n, err = l.nl.ConntrackDeleteFilters(netlink.ConntrackTable, netlink.InetFamily(family),
			Filter{VirtualServer: vs, RealServer: rs})
		total += n
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return total, fmt.Errorf("deleting UDP conntrack entries %s -> %s: %w", vs, rs, err)
	}
	return total, nil
}
