package ipvstest

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// Addresses are the addresses the check may create virtual and real servers
// on; nothing else is touched. The defaults (DefaultAddresses) are in
// 10.250.0.0/16 and fd00:250::/32.
type Addresses struct {
	VIP4, VIP6           netip.Addr
	Backend4a, Backend4b netip.Addr
	Backend6             netip.Addr
}

// DefaultAddresses are private addresses unlikely to be used by anything
// else on a test machine.
var DefaultAddresses = Addresses{
	VIP4:      netip.MustParseAddr("10.250.0.1"),
	VIP6:      netip.MustParseAddr("fd00:250::1"),
	Backend4a: netip.MustParseAddr("10.250.1.1"),
	Backend4b: netip.MustParseAddr("10.250.1.2"),
	Backend6:  netip.MustParseAddr("fd00:250:1::1"),
}

// Check exercises every Interface method against h and returns the first
// behaviour that differs from the kernel's contract (nil when all agree):
// adding, reading back (persistence, scheduler, hashed flag hidden), updating
// and deleting virtual servers of both families and all three protocols;
// adding, re-weighting and deleting real servers; ErrExists / ErrNotFound
// where the kernel answers EEXIST / ESRCH / ENOENT; refusal of a real server
// of the other family and of an unknown scheduler; a batch of writes through
// ipvs.ApplyWrites with failures in its middle. Virtual servers that
// existed before are left exactly as they were. The kernel needs the ip_vs,
// ip_vs_rr, ip_vs_wrr and ip_vs_sh modules.
func Check(h ipvs.Interface, a Addresses) (err error) {
	before, err := ipvs.ReadTable(h, nil)
	if err != nil {
		return err
	}
	c := checker{h: h, a: a}
	defer func() {
		// Whatever happened, remove ours and verify the rest is untouched.
		for _, vs := range c.created {
			_ = h.DeleteVirtualServer(vs)
		}
		after, lerr := ipvs.ReadTable(h, nil)
		if err == nil && lerr != nil {
			err = lerr
		}
		if err == nil && after.String() != before.String() {
			err = fmt.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	}()
	for _, step := range []func() error{c.virtualServers, c.realServers, c.deletes, c.batch} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

type checker struct {
	h       ipvs.Interface
	a       Addresses
	created []ipvs.VirtualServerKey
}

func (c *checker) vs4() ipvs.VirtualServer {
	return ipvs.VirtualServer{Address: c.a.VIP4, Protocol: ipvs.TCP, Port: 80, Scheduler: "rr"}
}

func (c *checker) virtualServers() error {
	want := []ipvs.VirtualServer{
		c.vs4(),
		{Address: c.a.VIP6, Protocol: ipvs.UDP, Port: 53, Scheduler: "sh", Persistent: true, Timeout: 300},
		{Address: c.a.VIP4, Protocol: ipvs.SCTP, Port: 3868, Scheduler: "rr"},
	}
	for _, vs := range want {
		if err := c.h.AddVirtualServer(vs); err != nil {
			return fmt.Errorf("adding %s: %w", vs, err)
		}
		c.created = append(c.created, vs.Key())
	}
	if err := c.h.AddVirtualServer(want[0]); !errors.Is(err, ipvs.ErrExists) {
		return fmt.Errorf("adding %s twice: got %v, want ErrExists", want[0], err)
	}
	bad := ipvs.VirtualServer{Address: c.a.VIP4, Protocol: ipvs.TCP, Port: 81, Scheduler: "no-such-scheduler"}
	if err := c.h.AddVirtualServer(bad); err == nil {
		c.created = append(c.created, bad.Key())
		return errors.New("a virtual server with an unknown scheduler was accepted")
	}
	if err := c.expectVirtualServers(want); err != nil {
		return err
	}
	// In-place update: scheduler and persistence (the kernel adds the hashed flag; it must not show).
	want[0].Scheduler, want[0].Persistent, want[0].Timeout = "wrr", true, 600
	want[1].Persistent, want[1].Timeout = false, 0
	for _, vs := range want[:2] {
		if err := c.h.UpdateVirtualServer(vs); err != nil {
			return fmt.Errorf("updating %s: %w", vs, err)
		}
	}
	return c.expectVirtualServers(want)
}

func (c *checker) expectVirtualServers(want []ipvs.VirtualServer) error {
	got, err := c.h.ListVirtualServers()
	if err != nil {
		return err
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(v ipvs.VirtualServer) bool { return v.Key() == w.Key() })
		if i < 0 {
			return fmt.Errorf("%s not listed", w.Key())
		}
		if !got[i].Equal(w) {
			return fmt.Errorf("listed %q, want %q", got[i], w)
		}
	}
	return nil
}

func (c *checker) realServers() error {
	k := c.vs4().Key()
	ra := ipvs.RealServer{Address: c.a.Backend4a, Port: 8080, Weight: 1}
	rb := ipvs.RealServer{Address: c.a.Backend4b, Port: 8080, Weight: 3}
	for _, rs := range []ipvs.RealServer{rb, ra} {
		if err := c.h.AddRealServer(k, rs); err != nil {
			return fmt.Errorf("adding %s: %w", rs.AddrPort(), err)
		}
	}
	if err := c.h.AddRealServer(k, ra); !errors.Is(err, ipvs.ErrExists) {
		return fmt.Errorf("adding %s twice: got %v, want ErrExists", ra.AddrPort(), err)
	}
	if err := c.h.AddRealServer(k, ipvs.RealServer{Address: c.a.Backend6, Port: 8080, Weight: 1}); err == nil {
		return errors.New("an IPv6 real server was accepted under an IPv4 NAT virtual server")
	}
	if err := c.expectRealServers(k, ra, rb); err != nil {
		return err
	}
	ra.Weight = 0 // drain
	if err := c.h.UpdateRealServer(k, ra); err != nil {
		return fmt.Errorf("updating %s: %w", ra.AddrPort(), err)
	}
	if err := c.expectRealServers(k, ra, rb); err != nil {
		return err
	}
	k6 := ipvs.VirtualServerKey{Address: c.a.VIP6, Protocol: ipvs.UDP, Port: 53}
	r6 := ipvs.RealServer{Address: c.a.Backend6, Port: 5353, Weight: 1}
	if err := c.h.AddRealServer(k6, r6); err != nil {
		return fmt.Errorf("adding %s: %w", r6.AddrPort(), err)
	}
	return c.expectRealServers(k6, r6)
}

func (c *checker) expectRealServers(k ipvs.VirtualServerKey, want ...ipvs.RealServer) error {
	got, err := c.h.ListRealServers(k)
	if err != nil {
		return fmt.Errorf("listing real servers of %s: %w", k, err)
	}
	ipvs.SortRealServers(got)
	ipvs.SortRealServers(want)
	if len(got) != len(want) {
		return fmt.Errorf("real servers of %s: got %v, want %v", k, got, want)
	}
	for i := range got {
		if !got[i].Equal(want[i]) || got[i].ActiveConns != 0 || got[i].InactiveConns != 0 {
			return fmt.Errorf("real servers of %s: got %v, want %v (no connections)", k, got, want)
		}
	}
	return nil
}

func (c *checker) deletes() error {
	k := c.vs4().Key()
	ra := netip.AddrPortFrom(c.a.Backend4a, 8080)
	if err := c.h.DeleteRealServer(k, ra); err != nil {
		return fmt.Errorf("deleting %s: %w", ra, err)
	}
	if err := c.h.DeleteRealServer(k, ra); !errors.Is(err, ipvs.ErrNotFound) {
		return fmt.Errorf("deleting %s twice: got %v, want ErrNotFound", ra, err)
	}
	if err := c.h.UpdateRealServer(k, ipvs.RealServer{Address: ra.Addr(), Port: ra.Port(), Weight: 1}); !errors.Is(err, ipvs.ErrNotFound) {
		return fmt.Errorf("updating deleted %s: got %v, want ErrNotFound", ra, err)
	}
	if err := c.expectRealServers(k, ipvs.RealServer{Address: c.a.Backend4b, Port: 8080, Weight: 3}); err != nil {
		return err
	}
	for _, key := range c.created {
		if err := c.h.DeleteVirtualServer(key); err != nil {
			return fmt.Errorf("deleting %s: %w", key, err)
		}
	}
	if err := c.h.DeleteVirtualServer(k); !errors.Is(err, ipvs.ErrNotFound) {
		return fmt.Errorf("deleting %s twice: got %v, want ErrNotFound", k, err)
	}
	if err := c.h.UpdateVirtualServer(c.vs4()); !errors.Is(err, ipvs.ErrNotFound) {
		return fmt.Errorf("updating deleted %s: got %v, want ErrNotFound", k, err)
	}
	// The kernel's destination dump of a missing service is empty, not an error.
	if rss, err := c.h.ListRealServers(k); err != nil || len(rss) != 0 {
		return fmt.Errorf("listing real servers of deleted %s: got %v, %v, want none and no error", k, rss, err)
	}
	if err := c.h.AddRealServer(k, ipvs.RealServer{Address: c.a.Backend4a, Port: 1, Weight: 1}); !errors.Is(err, ipvs.ErrNotFound) {
		return fmt.Errorf("adding a real server to deleted %s: got %v, want ErrNotFound", k, err)
	}
	c.created = nil
	return nil
}
