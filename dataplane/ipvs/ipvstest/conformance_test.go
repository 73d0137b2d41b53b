package ipvstest

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

func TestFakeConforms(t *testing.T) {
	f := ipvs.NewFake()
	foreign := ipvs.Table{{
		VirtualServer: ipvs.VirtualServer{Address: netip.MustParseAddr("10.0.0.99"), Protocol: ipvs.TCP, Port: 80, Scheduler: "wrr"},
		RealServers:   []ipvs.RealServer{{Address: netip.MustParseAddr("10.2.0.1"), Port: 80, Weight: 3, ActiveConns: 5}},
	}}
	f.Load(foreign)
	if err := Check(f, DefaultAddresses); err != nil {
		t.Fatal(err)
	}
	if got := f.State(); got.String() != foreign.String() {
		t.Fatalf("foreign state changed:\n%s", got)
	}
}

// The check must be able to fail: a kernel that loses updates is caught.
func TestCheckCatchesABrokenImplementation(t *testing.T) {
	err := Check(lossyUpdates{ipvs.NewFake()}, DefaultAddresses)
	if err == nil || !strings.Contains(err.Error(), "listed") {
		t.Fatalf("got %v, want a read-back mismatch", err)
	}
	err = Check(noExists{ipvs.NewFake()}, DefaultAddresses)
	if err == nil || !strings.Contains(err.Error(), "ErrExists") {
		t.Fatalf("got %v, want an ErrExists complaint", err)
	}
}

type lossyUpdates struct{ *ipvs.Fake }

func (lossyUpdates) UpdateVirtualServer(ipvs.VirtualServer) error { return nil }

type noExists struct{ *ipvs.Fake }

func (n noExists) AddVirtualServer(vs ipvs.VirtualServer) error {
	if err := n.Fake.AddVirtualServer(vs); err != nil && !errors.Is(err, ipvs.ErrExists) {
		return err
	}
	return nil
}
