package ipvs

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

var (
	vip  = netip.MustParseAddr("10.96.0.1")
	vip6 = netip.MustParseAddr("fd00::1")
	rs1  = RealServer{Address: netip.MustParseAddr("10.1.0.1"), Port: 8080, Weight: 1}
	rs2  = RealServer{Address: netip.MustParseAddr("10.1.0.2"), Port: 8080, Weight: 1}
	vsA  = VirtualServer{Address: vip, Protocol: TCP, Port: 80, Scheduler: "rr"}
)

func TestFakeKernelSemantics(t *testing.T) {
	f := NewFake()
	k := vsA.Key()
	mustOK(t, f.AddVirtualServer(vsA))
	if err := f.AddVirtualServer(vsA); !errors.Is(err, ErrExists) {
		t.Fatalf("second add: got %v, want ErrExists", err)
	}
	mustOK(t, f.AddRealServer(k, RealServer{Address: rs2.Address, Port: 8080, Weight: 1, ActiveConns: 9}))
	mustOK(t, f.AddRealServer(k, rs1))
	if err := f.AddRealServer(k, rs1); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate real server: got %v, want ErrExists", err)
	}
	if err := f.AddRealServer(k, RealServer{Address: vip6, Port: 1, Weight: 1}); err == nil {
		t.Fatal("IPv6 real server under an IPv4 virtual server was accepted")
	}
	if err := f.AddVirtualServer(VirtualServer{Address: vip, Protocol: UDP, Port: 53, Scheduler: "bogus"}); err == nil {
		t.Fatal("unknown scheduler accepted")
	}
	mustOK(t, f.SetConnections(k, rs1.AddrPort(), 3, 4))
	mustOK(t, f.UpdateRealServer(k, RealServer{Address: rs1.Address, Port: 8080, Weight: 0}))
	persistent := vsA
	persistent.Persistent, persistent.Timeout = true, 10800
	mustOK(t, f.UpdateVirtualServer(persistent))

	want := Table{{
		VirtualServer: persistent,
		RealServers: []RealServer{
			{Address: rs1.Address, Port: 8080, Weight: 0, ActiveConns: 3, InactiveConns: 4},
			{Address: rs2.Address, Port: 8080, Weight: 1}, // counters are the kernel's, not the caller's
		},
	}}
	if got := f.State(); !reflect.DeepEqual(got, want) {
		t.Fatalf("state:\n%s\nwant:\n%s", got, want)
	}
	// 1 VS add ok + 1 VS add dup + 2 RS adds + 1 dup + 1 family + 1 bad sched + 1 RS update + 1 VS update.
	if got := f.Writes(); got != 9 {
		t.Fatalf("writes = %d, want 9", got)
	}

	mustOK(t, f.DeleteRealServer(k, rs2.AddrPort()))
	if err := f.DeleteRealServer(k, rs2.AddrPort()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting a missing real server: got %v, want ErrNotFound", err)
	}
	mustOK(t, f.DeleteVirtualServer(k))
	if err := f.DeleteVirtualServer(k); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting a missing virtual server: got %v, want ErrNotFound", err)
	}
	if rss, err := f.ListRealServers(k); err != nil || len(rss) != 0 {
		t.Fatalf("listing a missing virtual server: got %v, %v, want an empty list like the kernel", rss, err)
	}
	if got := f.State(); len(got) != 0 {
		t.Fatalf("state after deletes: %s", got)
	}
}

func TestFakeFailuresAndCounters(t *testing.T) {
	f := NewFake()
	boom := errors.New("boom")
	f.FailNext(MethodAddVirtualServer, boom, 1)
	if err := f.AddVirtualServer(vsA); !errors.Is(err, boom) {
		t.Fatalf("got %v, want injected error", err)
	}
	if len(f.State()) != 0 {
		t.Fatal("a failed call changed state")
	}
	mustOK(t, f.AddVirtualServer(vsA)) // the failure was for one call only

	f.FailNext(MethodListVirtualServers, boom, -1)
	for range 3 {
		if _, err := ReadTable(f, nil); !errors.Is(err, boom) {
			t.Fatalf("ReadTable: got %v, want injected error", err)
		}
	}
	f.ClearFailures()
	f.ResetCounters()
	tab, err := ReadTable(f, nil)
	mustOK(t, err)
	if !reflect.DeepEqual(tab, f.State()) {
		t.Fatalf("ReadTable %s != State %s", tab, f.State())
	}
	if f.Reads() != 2 || f.Writes() != 0 || f.Calls(MethodListRealServers) != 1 {
		t.Fatalf("reads=%d writes=%d listRS=%d, want 2 0 1", f.Reads(), f.Writes(), f.Calls(MethodListRealServers))
	}
	tab, err = ReadTable(f, func(VirtualServerKey) bool { return false })
	mustOK(t, err)
	if len(tab) != 1 || tab[0].RealServers != nil || f.Calls(MethodListRealServers) != 1 {
		t.Fatalf("excluded entries must not be listed: %v", tab)
	}
}

func TestTableString(t *testing.T) {
	tab := Table{
		{VirtualServer: VirtualServer{Address: vip6, Protocol: UDP, Port: 53, Scheduler: "sh"}},
		{VirtualServer: VirtualServer{Address: vip, Protocol: TCP, Port: 80, Scheduler: "rr", Persistent: true, Timeout: 10800},
			RealServers: []RealServer{{Address: rs1.Address, Port: 8080, Weight: 1, ActiveConns: 2, InactiveConns: 5}}},
	}
	tab.Sort()
	want := "Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" +
		"TCP  10.96.0.1:80 rr persistent 10800\n" +
		"  -> 10.1.0.1:8080                Masq    1      2          5\n" +
		"UDP  [fd00::1]:53 sh\n"
	if got := tab.String(); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	if e, ok := tab.Get(VirtualServerKey{Address: vip6, Protocol: UDP, Port: 53}); !ok || e.VirtualServer.Scheduler != "sh" {
		t.Fatalf("Get: %v %v", e, ok)
	}
	if _, ok := tab.Get(VirtualServerKey{Address: vip6, Protocol: TCP, Port: 53}); ok {
		t.Fatal("Get found a missing key")
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
