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
	if link.Attrs().Flags&net.FlagUp != 0 {
		return nil
	}
	if err := l.nl.LinkSetUp(link); err != nil {
		return fmt.Errorf("setting %s up: %w", l.device, err)
	}
	return nil
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

// Addresses implements Interface. IPv6 link-local addresses (the kernel adds one when the device
// comes up) are not VIPs and are left out.
func (l *Linux) Addresses() ([]netip.Addr, error) {
	link, err := l.link()
	if err != nil || link == nil {
		return nil, err
	}
	addrs, err := l.addrList(link)
	if err != nil {
		return nil, fmt.Errorf("listing addresses of %s: %w", l.device, err)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || ip.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, ip.Unmap())
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out), nil
}

// dumpAttempts bounds the retries of an interrupted netlink dump.
const dumpAttempts = 5

// addrList dumps the device's addresses. A dump that raced with an address change comes back
// flagged as interrupted (NLM_F_DUMP_INTR) and may be incomplete; it is retried, because a VIP
// missing from the list would look stale to the caller or, worse, unowned.
func (l *Linux) addrList(link netlink.Link) ([]netlink.Addr, error) {
	var err error
	for range dumpAttempts {
		var addrs []netlink.Addr
		addrs, err = l.nl.AddrList(link, netlink.FAMILY_ALL)
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return addrs, err
		}
	}
	return nil, err
}

// SyncAddresses implements Interface. The device must exist (EnsureDevice).
func (l *Linux) SyncAddresses(want []netip.Addr) (Change, error) {
	have, err := l.Addresses()
	if err != nil {
		return Change{}, err
	}
	c := DiffAddresses(have, want)
	if c.Empty() {
		return c, nil
	}
	link, err := l.link()
	if err != nil {
		return Change{}, err
	}
	if link == nil {
		return Change{}, fmt.Errorf("device %s does not exist", l.device)
	}
	return l.changeAddresses(link.Attrs().Index, c)
}

// answerTimeout bounds the wait for the kernel's answers to a batch of address changes.
const answerTimeout = 30 * time.Second

// changeAddresses adds c.Added and removes c.Removed on the device with index ifindex, pipelined:
// up to nlbatch.MaxChunk requests per sendmsg instead of one round trip each (binding 10,000 VIPs
// is 10,000 writes; the kernel's own work per address stays). Every change is attempted; the
// returned Change holds those that took effect, the error joins the failures. An address that is
// already there (EEXIST) or already gone (EADDRNOTAVAIL) counts as done.
func (l *Linux) changeAddresses(ifindex int, c Change) (Change, error) {
	type change struct {
		addr netip.Addr
		add  bool
	}
	all := make([]change, 0, len(c.Added)+len(c.Removed))
	for _, a := range c.Added {
		all = append(all, change{a, true})
	}
	for _, a := range c.Removed {
		all = append(all, change{a, false})
	}
	errs := make([]error, len(all))
	l.batchMu.Lock()
	var ch nlbatch.Chunk
	for i, a := range all {
		if a.add {
			ch.Begin(i, unix.RTM_NEWADDR, nlbatch.FlagCreate|nlbatch.FlagExcl)
		} else {
			ch.Begin(i, unix.RTM_DELADDR, 0)
		}
		encodeAddr(&ch.Builder, ifindex, a.addr)
		ch.End()
		if ch.Len() == nlbatch.MaxChunk || i == len(all)-1 {
			ch.Exec(l.batch.GetFd(), errs, answerTimeout)
			ch.Reset()
		}
	}
	l.batchMu.Unlock()
	var done Change
	var failed []error
	for i, a := range all {
		err := errs[i]
		switch {
		case a.add && (err == nil || errors.Is(err, unix.EEXIST)):
			done.Added = append(done.Added, a.addr)
		case !a.add && (err == nil || errors.Is(err, unix.EADDRNOTAVAIL)):
			done.Removed = append(done.Removed, a.addr)
		case a.add:
			failed = append(failed, fmt.Errorf("adding %s to %s: %w", a.addr, l.device, err))
		default:
			failed = append(failed, fmt.Errorf("removing %s from %s: %w", a.addr, l.device, err))
		}
	}
	return done, errors.Join(failed...)
}

// encodeAddr writes the body of an RTM_NEWADDR/RTM_DELADDR request for a VIP: struct ifaddrmsg
// and the IFA_LOCAL and IFA_ADDRESS attributes, as iproute2 and the netlink library send them.
// IPv6 VIPs skip duplicate address detection (IFA_F_NODAD), which would otherwise keep them
// "tentative" (unusable) for a second or more after every add.
func encodeAddr(b *nlbatch.Builder, ifindex int, a netip.Addr) {
	family, flags := byte(unix.AF_INET), byte(0)
	if a.Is6() {
		family, flags = unix.AF_INET6, unix.IFA_F_NODAD
	}
	// struct ifaddrmsg { family, prefixlen, flags, scope (0: universe), index }
	msg := []byte{family, byte(prefixFor(a).Bits()), flags, 0, 0, 0, 0, 0}
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
