package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"time"

	mobyipvs "github.com/moby/ipvs"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/internal/nlbatch"
)

var _ Interface = (*Netlink)(nil)

// Netlink programs the kernel's IPVS over generic netlink through
// github.com/moby/ipvs.
//
// moby/ipvs resolves the "IPVS" generic-netlink family once per process, on
// the first New: the ip_vs module must be loaded before the first NewNetlink
// of the process, or every later call fails. The handle is bound to one
// network namespace for its whole life.
type Netlink struct {
	h      *mobyipvs.Handle
	nsPath string

	// The batch socket (see WriteBatch); the IPVS family is resolved on
	// first use.
	batchMu     sync.Mutex
	batchSock   *nl.NetlinkSocket
	batchFamily uint16
	// dumper reads real servers on the batch socket (under batchMu), reusing its buffers.
	dumper nlbatch.Dumper
}

// netlinkReceiveTimeout bounds the wait for the kernel's acknowledgements.
const netlinkReceiveTimeout = 30 * time.Second

// NewNetlink opens an IPVS handle in the network namespace at nsPath ("" is
// the caller's namespace; otherwise e.g. /var/run/netns/NAME or
// /proc/PID/ns/net).
func NewNetlink(nsPath string) (*Netlink, error) {
	h, err := mobyipvs.New(nsPath)
	if err != nil {
		return nil, fmt.Errorf("opening IPVS netlink handle: %w", err)
	}
	n := &Netlink{h: h, nsPath: nsPath}
	// Opened now, while nsPath surely names the namespace (NewNetlinkAt's
	// /proc/self/fd path dies with the caller's handle).
	if n.batchSock, err = n.openSocket(); err != nil {
		h.Close()
		return nil, fmt.Errorf("opening a netlink socket for batches: %w", err)
	}
	tv := unix.NsecToTimeval(int64(netlinkReceiveTimeout))
	if err := n.batchSock.SetReceiveTimeout(&tv); err != nil {
		_ = n.Close()
		return nil, err
	}
	return n, nil
}

// NewNetlinkAt opens an IPVS handle in the network namespace ns. moby/ipvs
// only takes a path, so the handle's /proc/self/fd entry is used while
// opening; ns stays owned by the caller and may be closed afterwards.
func NewNetlinkAt(ns netns.NsHandle) (*Netlink, error) {
	if !ns.IsOpen() {
		return nil, errors.New("opening IPVS netlink handle: namespace handle is not open")
	}
	return NewNetlink(fmt.Sprintf("/proc/self/fd/%d", int(ns)))
}

// Close releases the netlink sockets.
func (n *Netlink) Close() error {
	n.h.Close()
	n.batchMu.Lock()
	defer n.batchMu.Unlock()
	if n.batchSock != nil {
		n.batchSock.Close()
		n.batchSock = nil
	}
	return nil
}

// openSocket opens a generic netlink socket in the handle's namespace.
func (n *Netlink) openSocket() (*nl.NetlinkSocket, error) {
	ns := netns.None()
	if n.nsPath != "" {
		var err error
		if ns, err = netns.GetFromPath(n.nsPath); err != nil {
			return nil, err
		}
		defer func() { _ = ns.Close() }()
	}
	return nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_GENERIC)
}

// ListVirtualServers implements Interface.
func (n *Netlink) ListVirtualServers() ([]VirtualServer, error) {
	svcs, err := n.h.GetServices()
	if err != nil {
		return nil, fmt.Errorf("listing IPVS services: %w", err)
	}
	out := make([]VirtualServer, 0, len(svcs))
	for _, s := range svcs {
		if s.FWMark != 0 {
			continue // firewall-mark services have no address; slicelb never owns them
		}
		vs, ok := fromService(s)
		if !ok {
			continue
		}
		out = append(out, vs)
	}
	return out, nil
}

// AddVirtualServer implements Interface.
func (n *Netlink) AddVirtualServer(vs VirtualServer) error {
	return wrap("adding virtual server", vs.Key(), false, n.h.NewService(toService(vs)))
}

// UpdateVirtualServer implements Interface.
func (n *Netlink) UpdateVirtualServer(vs VirtualServer) error {
	return wrap("updating virtual server", vs.Key(), false, n.h.UpdateService(toService(vs)))
}

// DeleteVirtualServer implements Interface.
func (n *Netlink) DeleteVirtualServer(key VirtualServerKey) error {
	return wrap("deleting virtual server", key, false, n.h.DelService(keyService(key)))
}

// AddRealServer implements Interface.
func (n *Netlink) AddRealServer(key VirtualServerKey, rs RealServer) error {
	if err := checkFamily(key, rs); err != nil {
		return err
	}
	return wrap("adding real server "+rs.AddrPort().String()+" to", key, true,
		n.h.NewDestination(keyService(key), toDestination(rs)))
}

// UpdateRealServer implements Interface.
func (n *Netlink) UpdateRealServer(key VirtualServerKey, rs RealServer) error {
	if err := checkFamily(key, rs); err != nil {
		return err
	}
	return wrap("updating real server "+rs.AddrPort().String()+" of", key, true,
		n.h.UpdateDestination(keyService(key), toDestination(rs)))
}

// DeleteRealServer implements Interface.
func (n *Netlink) DeleteRealServer(key VirtualServerKey, rs netip.AddrPort) error {
	return wrap("deleting real server "+rs.String()+" of", key, true,
		n.h.DelDestination(keyService(key), toDestination(RealServer{Address: rs.Addr(), Port: rs.Port()})))
}

// wrap adds context and the package's sentinel errors. The kernel answers
// ESRCH for a missing service, ENOENT for a missing destination (and, when
// adding a service, for a missing scheduler module: so ENOENT only means
// "not found" for real-server calls), and EEXIST for duplicates.
func wrap(what string, key VirtualServerKey, realServer bool, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, syscall.ESRCH), realServer && errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("%s %s: %w: %w", what, key, ErrNotFound, err)
	case errors.Is(err, syscall.EEXIST):
		return fmt.Errorf("%s %s: %w: %w", what, key, ErrExists, err)
	default:
		return fmt.Errorf("%s %s: %w", what, key, err)
	}
}

// checkFamily refuses a real server of the other address family. The kernel
// would refuse it for NAT, but moby/ipvs does not send the destination's
// family, so the kernel would read an IPv6 address as an IPv4 one (its first
// four bytes) instead: the check has to happen here.
func checkFamily(key VirtualServerKey, rs RealServer) error {
	if !rs.Address.IsValid() || !addrFamilyMatch(rs.Address, key.Address) {
		return fmt.Errorf("real server %s of %s: address family mismatch", rs.AddrPort(), key)
	}
	return nil
}
