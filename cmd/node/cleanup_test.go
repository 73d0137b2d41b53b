package main

import (
	"context"
	"net/netip"
	"reflect"
	"testing"

	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
)

// TestCleanupWithoutAPI: `slicelb-node --cleanup` with no reachable API server removes the
// virtual servers on slicelb0's VIPs, the device and the nft table, and leaves a foreign virtual
// server alone.
func TestCleanupWithoutAPI(t *testing.T) {
	vip := netip.MustParseAddr("10.96.0.10")
	owned := ipvs.VirtualServer{Address: vip, Protocol: ipvs.TCP, Port: 80, Scheduler: "rr"}
	foreign := ipvs.Entry{
		VirtualServer: ipvs.VirtualServer{Address: netip.MustParseAddr("172.31.255.1"), Protocol: ipvs.TCP, Port: 443, Scheduler: "wrr"},
		RealServers:   []ipvs.RealServer{{Address: netip.MustParseAddr("10.0.0.9"), Port: 443, Weight: 2}},
	}
	kern := ipvs.NewFake()
	kern.Load(ipvs.Table{
		{VirtualServer: owned, RealServers: []ipvs.RealServer{{Address: netip.MustParseAddr("10.244.1.5"), Port: 8080, Weight: 1}}},
		foreign,
	})
	dev := netif.NewFake()
	if err := dev.EnsureDevice(); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.SyncAddresses([]netip.Addr{vip}); err != nil {
		t.Fatal(err)
	}
	table := &nat.Fake{}
	if _, err := table.Sync([]ipvs.VirtualServerKey{owned.Key()}, nil); err != nil {
		t.Fatal(err)
	}
	k := &kernel{ipvs: kern, netif: dev, nat: table, conntrack: &conntrack.Fake{}}

	// No node name: the API is not asked; the host's addresses stand in for the node's.
	res, err := cleanup(context.Background(), k, options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kern.State(), (ipvs.Table{foreign}); !reflect.DeepEqual(got, want) {
		t.Fatalf("kernel after cleanup:\n%s\nwant:\n%s", got, want)
	}
	if dev.DeviceExists() || len(table.Rules()) != 0 || res.VirtualServers != 0 {
		t.Fatalf("cleanup left device=%v nft=%v result=%+v", dev.DeviceExists(), table.Rules(), res)
	}
}
