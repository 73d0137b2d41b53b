package netif

import (
	"net/netip"
	"reflect"
	"testing"
)

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, 0, len(s))
	for _, a := range s {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

func TestDiffAddresses(t *testing.T) {
	tests := []struct {
		name       string
		have, want []netip.Addr
		expect     Change
	}{
		{name: "empty"},
		{name: "fresh node", want: addrs("10.96.0.10", "fd00::1", "10.96.0.1"),
			expect: Change{Added: addrs("10.96.0.1", "10.96.0.10", "fd00::1")}},
		{name: "in sync", have: addrs("10.96.0.1", "fd00::1"), want: addrs("fd00::1", "10.96.0.1")},
		{name: "stale removed", have: addrs("10.96.0.1", "10.96.0.2", "fd00::2"), want: addrs("10.96.0.1"),
			expect: Change{Removed: addrs("10.96.0.2", "fd00::2")}},
		{name: "both ways, duplicates and mapped forms collapse",
			have: addrs("10.96.0.1", "10.96.0.3"), want: addrs("::ffff:10.96.0.1", "10.96.0.2", "10.96.0.2"),
			expect: Change{Added: addrs("10.96.0.2"), Removed: addrs("10.96.0.3")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DiffAddresses(tc.have, tc.want); !reflect.DeepEqual(got, tc.expect) {
				t.Fatalf("DiffAddresses() = %+v, want %+v", got, tc.expect)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	base := []Sysctl{
		{Path: "net/ipv4/vs/conntrack", Value: "1"},
		{Path: "net/ipv4/vs/expire_nodest_conn", Value: "1"},
		{Path: "net/ipv4/vs/expire_quiescent_template", Value: "1"},
		{Path: "net/ipv4/ip_forward", Value: "1"},
	}
	strict := append(append([]Sysctl{}, base...),
		Sysctl{Path: "net/ipv4/conf/all/arp_ignore", Value: "1"},
		Sysctl{Path: "net/ipv4/conf/all/arp_announce", Value: "2"})
	if got := Required(Sysctls{}); !reflect.DeepEqual(got, base) {
		t.Errorf("Required(no strict ARP) = %v, want %v", got, base)
	}
	if got := Required(Sysctls{StrictARP: true}); !reflect.DeepEqual(got, strict) {
		t.Errorf("Required(strict ARP) = %v, want %v", got, strict)
	}
}

func TestFakeSyncIsLevelTriggeredAndNoOpFree(t *testing.T) {
	f := NewFake()
	if _, err := f.SyncAddresses(addrs("10.96.0.1")); err == nil {
		t.Fatal("SyncAddresses without the device succeeded; the kernel refuses it")
	}
	if err := f.EnsureDevice(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.SyncAddresses(addrs("10.96.0.1", "10.96.0.2")); err != nil {
		t.Fatal(err)
	}
	c, err := f.SyncAddresses(addrs("10.96.0.2", "fd00::a"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Change{Added: addrs("fd00::a"), Removed: addrs("10.96.0.1")}); !reflect.DeepEqual(c, want) {
		t.Fatalf("second sync changed %+v, want %+v", c, want)
	}
	if err := f.EnsureSysctls(Sysctls{StrictARP: true}); err != nil {
		t.Fatal(err)
	}
	writes := f.Writes()
	// Everything again: nothing may be written.
	_ = f.EnsureDevice()
	_ = f.EnsureSysctls(Sysctls{StrictARP: true})
	if c, _ := f.SyncAddresses(addrs("fd00::a", "10.96.0.2")); !c.Empty() || f.Writes() != writes {
		t.Fatalf("no-op sync changed %+v, writes %d → %d", c, writes, f.Writes())
	}
	got, _ := f.Addresses()
	if !reflect.DeepEqual(got, addrs("10.96.0.2", "fd00::a")) || f.Sysctl("net/ipv4/conf/all/arp_announce") != "2" {
		t.Fatalf("fake state: addrs %v, arp_announce %q", got, f.Sysctl("net/ipv4/conf/all/arp_announce"))
	}
	if err := f.DeleteDevice(); err != nil || f.DeviceExists() {
		t.Fatalf("DeleteDevice: err %v, exists %v", err, f.DeviceExists())
	}
	if got, _ := f.Addresses(); len(got) != 0 {
		t.Fatalf("addresses survived the device: %v", got)
	}
}
