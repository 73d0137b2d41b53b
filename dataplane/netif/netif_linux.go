package netif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/internal/nlbatch"
)

// Options configures the Linux implementation.
type Options struct {
	// Device is the dummy device's name; DefaultDevice when empty.
	Device string
	// NetNS is the network namespace to work in; the zero value (or netns.None()) means the
	// namespace of the calling process. The handle must stay open while the Linux value is used.
	NetNS netns.NsHandle
	// ProcSys is where /proc/sys is mounted; "/proc/sys" when empty.
	ProcSys string
}

// Linux is the rtnetlink + /proc/sys implementation of Interface.
type Linux struct {
	device  string
	ns      netns.NsHandle
	procSys string
	nl      *netlink.Handle
	// batch is the socket address changes are pipelined on (see SyncAddresses); batchMu keeps
	// one batch at a time on it, since answers are read from it.
	batchMu sync.Mutex
	batch   *nl.NetlinkSocket
}

var _ Interface = (*Linux)(nil)

// New opens an rtnetlink handle in the configured namespace. Close releases it.
func New(o Options) (*Linux, error) {
	if o.Device == "" {
		o.Device = DefaultDevice
	}
	if o.ProcSys == "" {
		o.ProcSys = "/proc/sys"
	}
	h, err := routeHandle(o.NetNS)
	if err != nil {
		return nil, fmt.Errorf("opening rtnetlink: %w", err)
	}
	batch, err := routeSocket(o.NetNS)
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("opening rtnetlink: %w", err)
	}
	return &Linux{device: o.Device, ns: o.NetNS, procSys: o.ProcSys, nl: h, batch: batch}, nil
}

// Close releases the netlink handle and socket.
func (l *Linux) Close() {
	l.nl.Close()
	l.batchMu.Lock()
	defer l.batchMu.Unlock()
	l.batch.Close()
}

// EnsureDevice implements Interface.
func (l *Linux) EnsureDevice() error {
	link, err := l.link()
	if err != nil {
		return err
	}
	if link == nil {
		if err := l.nl.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: l.device}}); err != nil &&
			!errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("creating dummy device %s: %w", l.device, err)
		}
		if link, err = l.nl.LinkByName(l.device); err != nil {
			return fmt.Errorf("reading back device %s: %w", l.device, err)
		}
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := l.nl.LinkSetUp(link); err != nil {
			return fmt.Errorf("setting %s up: %w", l.device, err)
		}
	}
	return l.migrateAddresses(link)
}

// link returns the device, or nil when it does not exist.
func (l *Linux) link() (netlink.Link, error) {
	link, err := l.nl.LinkByName(l.device)
	if err != nil {
		var notFound netlink.LinkNotFoundError
		if errors.As(err, &notFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("looking up %s: %w", l.device, err)
	}
	return link, nil
}

// Addresses implements Interface: the VIPs of slicelb's local routes on the device, plus any
// address an older agent bound to it and EnsureDevice has not converted yet (those VIPs are still
// ours; see migrateAddresses). IPv6 link-local addresses (the kernel adds one when the device comes
// up) are not VIPs and are left out.
func (l *Linux) Addresses() ([]netip.Addr, error) {
	link, err := l.link()
	if err != nil || link == nil {
		return nil, err
	}
	out, err := l.routeVIPs(link.Attrs().Index)
	if err != nil {
		return nil, fmt.Errorf("listing local routes on %s: %w", l.device, err)
	}
	legacy, err := l.legacyAddresses(link)
	if err != nil {
		return nil, err
	}
	out = append(out, legacy...)
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out), nil
}

// dumpAttempts bounds the retries of an interrupted netlink dump.
const dumpAttempts = 5

// routeVIPs dumps the local routes slicelb owns on the device with index ifindex: table local,
// type local, RouteProtocol, host prefix. A dump that raced with a route change comes back flagged
// as interrupted (NLM_F_DUMP_INTR) and may be incomplete; it is retried, because a VIP missing from
// the list would look stale to the caller or, worse, unowned.
func (l *Linux) routeVIPs(ifindex int) ([]netip.Addr, error) {
	filter := &netlink.Route{Table: unix.RT_TABLE_LOCAL, Protocol: RouteProtocol, Type: unix.RTN_LOCAL, LinkIndex: ifindex}
	mask := netlink.RT_FILTER_TABLE | netlink.RT_FILTER_PROTOCOL | netlink.RT_FILTER_TYPE | netlink.RT_FILTER_OIF
	var err error
	for range dumpAttempts {
		var out []netip.Addr
		err = l.nl.RouteListFilteredIter(netlink.FAMILY_ALL, filter, mask, func(r netlink.Route) bool {
			if r.Dst == nil {
				return true
			}
			ip, ok := netip.AddrFromSlice(r.Dst.IP)
			if ones, bits := r.Dst.Mask.Size(); ok && ones == bits {
				out = append(out, ip.Unmap())
			}
			return true
		})
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return out, err
		}
	}
	return nil, err
}

// legacyAddresses lists the VIP addresses bound to the device: only an agent before local routes
// bound VIPs as addresses, so after EnsureDevice this is empty.
func (l *Linux) legacyAddresses(link netlink.Link) ([]netip.Addr, error) {
	var addrs []netlink.Addr
	var err error
	for range dumpAttempts {
		addrs, err = l.nl.AddrList(link, netlink.FAMILY_ALL)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("listing addresses of %s: %w", l.device, err)
	}
	var out []netip.Addr
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || ip.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, ip.Unmap())
	}
	return out, nil
}

// migrateAddresses turns the VIP addresses an older agent bound to the device into slicelb's local
// routes: the route first, then the address goes, so the VIP stays owned throughout, also when the
// agent dies half-way. The address's own kernel route (proto kernel) and slicelb's route coexist:
// the add is not exclusive, and the kernel only refuses an exact duplicate. Removing an address
// deletes only its kernel route, which the kernel matches by prefsrc and protocol, except for the
// last IPv4 address of the device: its removal disables IPv4 on the device (fib_disable_ip),
// flushing every IPv4 route through it, slicelb's too. So the routes are added again afterwards;
// the IPv4 VIPs are not local between the last address's removal and that second add (one batch
// of route inserts), once, on the upgrade.
func (l *Linux) migrateAddresses(link netlink.Link) error {
	legacy, err := l.legacyAddresses(link)
	if err != nil || len(legacy) == 0 {
		return err
	}
	ifindex := link.Attrs().Index
	added, err := l.change(ifindex, legacy, routeAdd)
	if err != nil {
		return fmt.Errorf("converting the addresses of %s into local routes: %w", l.device, err)
	}
	removed, err := l.change(ifindex, added, addrDel)
	if err != nil {
		return fmt.Errorf("removing the converted addresses of %s: %w", l.device, err)
	}
	if _, err := l.change(ifindex, removed, routeAdd); err != nil {
		return fmt.Errorf("restoring the local routes on %s after removing its last address: %w", l.device, err)
	}
	return nil
}

// SyncAddresses implements Interface. The device must exist (EnsureDevice).
func (l *Linux) SyncAddresses(want []netip.Addr) (Change, error) {
	link, err := l.link()
	if err != nil {
		return Change{}, err
	}
	if link == nil {
		return Change{}, fmt.Errorf("device %s does not exist", l.device)
	}
	ifindex := link.Attrs().Index
	have, err := l.routeVIPs(ifindex)
	if err != nil {
		return Change{}, fmt.Errorf("listing local routes on %s: %w", l.device, err)
	}
	c := DiffAddresses(have, want)
	if c.Empty() {
		return c, nil
	}
	var done Change
	var errs []error
	if len(c.Added) > 0 {
		done.Added, err = l.change(ifindex, c.Added, routeAdd)
		errs = append(errs, err)
	}
	if len(c.Removed) > 0 {
		done.Removed, err = l.change(ifindex, c.Removed, routeDel)
		errs = append(errs, err)
	}
	return done, errors.Join(errs...)
}

// answerTimeout bounds the wait for the kernel's answers to a batch of changes.
const answerTimeout = 30 * time.Second

// op is one kind of VIP change on the device.
type op int

const (
	routeAdd op = iota
	routeDel
	addrDel
)

// change applies op to every VIP in vips on the device with index ifindex, pipelined: up to
// nlbatch.MaxChunk requests per sendmsg instead of one round trip each (a full sync of 10,000 VIPs
// is 10,000 writes). Every change is attempted; it returns the VIPs for which the change took
// effect, the error joins the failures. A route or address that is already there (EEXIST) or
// already gone (ESRCH for routes, EADDRNOTAVAIL for addresses) counts as done.
func (l *Linux) change(ifindex int, vips []netip.Addr, o op) ([]netip.Addr, error) {
	errs := make([]error, len(vips))
	l.batchMu.Lock()
	var ch nlbatch.Chunk
	for i, a := range vips {
		switch o {
		case routeAdd:
			// Not NLM_F_EXCL: an address's own local route (during the migration) is no
			// conflict; an identical route of ours still answers EEXIST.
			ch.Begin(i, unix.RTM_NEWROUTE, nlbatch.FlagCreate)
			encodeRoute(&ch.Builder, ifindex, a)
		case routeDel:
			ch.Begin(i, unix.RTM_DELROUTE, 0)
			encodeRoute(&ch.Builder, ifindex, a)
		case addrDel:
			ch.Begin(i, unix.RTM_DELADDR, 0)
			encodeAddr(&ch.Builder, ifindex, a)
		}
		ch.End()
		if ch.Len() == nlbatch.MaxChunk || i == len(vips)-1 {
			ch.Exec(l.batch.GetFd(), errs, answerTimeout)
			ch.Reset()
		}
	}
	l.batchMu.Unlock()
	var done []netip.Addr
	var failed []error
	for i, a := range vips {
		err := errs[i]
		switch {
		case err == nil,
			o == routeAdd && errors.Is(err, unix.EEXIST),
			o == routeDel && errors.Is(err, unix.ESRCH),
			o == addrDel && errors.Is(err, unix.EADDRNOTAVAIL):
			done = append(done, a)
		case o == routeAdd:
			failed = append(failed, fmt.Errorf("adding the local route of %s on %s: %w", a, l.device, err))
		case o == routeDel:
			failed = append(failed, fmt.Errorf("removing the local route of %s on %s: %w", a, l.device, err))
		default:
			failed = append(failed, fmt.Errorf("removing address %s from %s: %w", a, l.device, err))
		}
	}
	return done, errors.Join(failed...)
}

// encodeRoute writes the body of an RTM_NEWROUTE/RTM_DELROUTE request for a VIP's local route,
// what `ip route add local VIP/32 dev slicelb0 table local proto 211 scope host` sends: struct
// rtmsg, RTA_DST and RTA_OIF. The protocol is slicelb's mark (a delete names it too, so it never
// removes someone else's route); no priority is sent, so IPv4 routes get metric 0 and IPv6 routes
// the kernel's default for user routes, 1024.
//
// No preferred source (RTA_PREFSRC) is set. For a node-local client the kernel then picks the
// source itself: for IPv4, a route of type local without prefsrc makes the destination its own
// source (ip_route_output_key_hash_rcu: saddr = daddr), so the VIP is the source exactly as when it
// was an address; for IPv6, prefsrc must be an address assigned to an interface, which a VIP is
// not, and source address selection picks one of the node's addresses. A prefsrc equal to the VIP
// would also be harmful during the migration: deleting the old address marks every IPv4 route whose
// prefsrc it was as dead (fib_sync_down_addr).
func encodeRoute(b *nlbatch.Builder, ifindex int, a netip.Addr) {
	family := byte(unix.AF_INET)
	if a.Is6() {
		family = unix.AF_INET6
	}
	// struct rtmsg { family, dst_len, src_len, tos, table, protocol, scope, type, flags (u32) }
	b.Fixed([]byte{family, byte(prefixFor(a).Bits()), 0, 0, unix.RT_TABLE_LOCAL, RouteProtocol,
		unix.RT_SCOPE_HOST, unix.RTN_LOCAL, 0, 0, 0, 0})
	b.Attr(unix.RTA_DST, a.AsSlice())
	b.U32(unix.RTA_OIF, uint32(ifindex))
}

// encodeAddr writes the body of an RTM_DELADDR request for a VIP address of an older agent:
// struct ifaddrmsg and the IFA_LOCAL and IFA_ADDRESS attributes, as iproute2 and the netlink
// library send them.
func encodeAddr(b *nlbatch.Builder, ifindex int, a netip.Addr) {
	family := byte(unix.AF_INET)
	if a.Is6() {
		family = unix.AF_INET6
	}
	// struct ifaddrmsg { family, prefixlen, flags, scope (0: universe), index }
	msg := []byte{family, byte(prefixFor(a).Bits()), 0, 0, 0, 0, 0, 0}
	binary.NativeEndian.PutUint32(msg[4:], uint32(ifindex))
	b.Fixed(msg)
	raw := a.AsSlice()
	b.Attr(unix.IFA_LOCAL, raw)
	b.Attr(unix.IFA_ADDRESS, raw)
}

// DeleteDevice implements Interface.
func (l *Linux) DeleteDevice() error {
	link, err := l.link()
	if err != nil || link == nil {
		return err
	}
	if err := l.nl.LinkDel(link); err != nil {
		return fmt.Errorf("deleting %s: %w", l.device, err)
	}
	return nil
}

// EnsureSysctls implements Interface.
func (l *Linux) EnsureSysctls(s Sysctls) error {
	return inNetNS(l.ns, func() error {
		for _, sc := range Required(s) {
			if err := writeSysctl(filepath.Join(l.procSys, sc.Path), sc.Value); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeSysctl(path, value string) error {
	cur, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading sysctl %s (is the ip_vs module loaded?): %w", path, err)
	}
	if strings.TrimSpace(string(cur)) == value {
		return nil
	}
	if err := os.WriteFile(path, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing sysctl %s=%s: %w", path, value, err)
	}
	return nil
}
