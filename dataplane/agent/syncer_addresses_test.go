package agent

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/netif"
)

// syncCounting counts SyncAddresses calls: each re-reads every address on the device.
type syncCounting struct {
	*netif.Fake
	calls int
}

func (s *syncCounting) SyncAddresses(want []netip.Addr) (netif.Change, error) {
	s.calls++
	return s.Fake.SyncAddresses(want)
}

// The address syncs run only when the sync's own read of slicelb0 shows something to change:
// one for new VIPs (before their virtual servers), one for stale VIPs (after theirs are gone),
// none on a no-op sync, and a VIP removed behind the agent's back is still put back.
func TestSyncAddressesOnlyWhenThereIsAChange(t *testing.T) {
	dev := &syncCounting{Fake: netif.NewFake()}
	s, err := NewSyncer(SyncerOptions{IPVS: ipvs.NewFake(), Netif: dev, NodeName: "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	full := baseSnapshot()
	fewer := baseSnapshot()
	fewer.Services = fewer.Services[1:] // "web" (10.96.0.10) removed
	steps := []struct {
		name  string
		snap  Snapshot
		drift func()
		calls int
		vips  int
	}{
		{"first sync binds the VIPs", full, nil, 1, 3},
		{"no-op sync", full, nil, 0, 3},
		{"a Service removed: its VIP unbound", fewer, nil, 1, 2},
		{"no-op again", fewer, nil, 0, 2},
		{"a VIP removed behind the agent's back is put back", fewer, func() {
			if _, err := dev.Fake.SyncAddresses([]netip.Addr{addr("10.96.0.53")}); err != nil {
				t.Fatal(err)
			}
		}, 1, 2},
	}
	for i, st := range steps {
		if st.drift != nil {
			st.drift()
		}
		dev.calls = 0
		if _, err := s.Sync(context.Background(), st.snap, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, _ := dev.Addresses()
		if dev.calls != st.calls || len(got) != st.vips {
			t.Errorf("%s: %d SyncAddresses calls and VIPs %v, want %d calls and %d VIPs", st.name, dev.calls, got, st.calls, st.vips)
		}
	}
}
