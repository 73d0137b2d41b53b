package ipvs

import (
	"errors"
	"net"
	"net/netip"
	"reflect"
	"syscall"
	"testing"

	mobyipvs "github.com/moby/ipvs"
)

// The conversions are the part of the netlink implementation that can be
// checked without a kernel; the VM runs ipvstest.Check for the rest.
func TestServiceConversion(t *testing.T) {
	vs := VirtualServer{Address: vip, Protocol: TCP, Port: 80, Scheduler: "rr", Persistent: true, Timeout: 10800}
	got := toService(vs)
	want := &mobyipvs.Service{Address: net.IP(vip.AsSlice()), Protocol: syscall.IPPROTO_TCP, Port: 80,
		AddressFamily: syscall.AF_INET, Netmask: 0xffffffff, SchedName: "rr", Flags: 0x1, Timeout: 10800}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("toService = %+v, want %+v", got, want)
	}

	// What the kernel lists back: hashed (0x2) added, IPv4 possibly in 16-byte form.
	listed := &mobyipvs.Service{Address: net.ParseIP("10.96.0.1"), Protocol: syscall.IPPROTO_TCP, Port: 80,
		AddressFamily: syscall.AF_INET, SchedName: "rr", Flags: 0x3, Timeout: 10800, Netmask: 0xffffffff}
	back, ok := fromService(listed)
	if !ok || !back.Equal(vs) {
		t.Fatalf("fromService = %v %v, want %v", back, ok, vs)
	}

	// Not persistent: a timeout the kernel kept is not reported, so it does not look like drift.
	listed.Flags, listed.Timeout = 0x2, 300
	back, _ = fromService(listed)
	if back.Persistent || back.Timeout != 0 || back.Flags != 0 {
		t.Fatalf("non-persistent service read back as %v", back)
	}

	v6 := keyService(VirtualServerKey{Address: vip6, Protocol: UDP, Port: 53})
	if v6.AddressFamily != syscall.AF_INET6 || v6.Netmask != 128 || len(v6.Address) != 16 {
		t.Fatalf("IPv6 key service = %+v", v6)
	}
}

func TestDestinationConversionAndFamilyCheck(t *testing.T) {
	d := toDestination(RealServer{Address: netip.MustParseAddr("10.1.0.1"), Port: 8080, Weight: 0, ActiveConns: 4})
	if d.ConnectionFlags != mobyipvs.ConnectionFlagMasq || d.AddressFamily != syscall.AF_INET || d.Weight != 0 || d.Port != 8080 || len(d.Address) != 4 {
		t.Fatalf("toDestination = %+v", d)
	}
	if err := checkFamily(VirtualServerKey{Address: vip, Protocol: TCP, Port: 80}, RealServer{Address: vip6, Port: 1}); err == nil {
		t.Fatal("IPv6 real server accepted for an IPv4 virtual server")
	}
	if err := checkFamily(VirtualServerKey{Address: vip6, Protocol: TCP, Port: 80}, RealServer{Address: vip6, Port: 1}); err != nil {
		t.Fatal(err)
	}
}

func TestErrorMapping(t *testing.T) {
	k := VirtualServerKey{Address: vip, Protocol: TCP, Port: 80}
	for _, tc := range []struct {
		err        error
		realServer bool
		notFound   bool
		exists     bool
	}{
		{err: syscall.ESRCH, notFound: true},
		{err: syscall.ENOENT, realServer: true, notFound: true},
		{err: syscall.ENOENT}, // adding a service: missing scheduler module, not "not found"
		{err: syscall.EEXIST, exists: true},
		{err: syscall.EINVAL},
	} {
		got := wrap("doing", k, tc.realServer, tc.err)
		if errors.Is(got, ErrNotFound) != tc.notFound || errors.Is(got, ErrExists) != tc.exists || !errors.Is(got, tc.err) {
			t.Errorf("wrap(%v, realServer=%v) = %v", tc.err, tc.realServer, got)
		}
	}
	if wrap("doing", k, false, nil) != nil {
		t.Fatal("wrap(nil) != nil")
	}
}
