package agent

import (
	"context"
	"slices"
	"testing"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// batchingFake is the Fake kernel with the netlink implementation's batch interface, recording
// the size of each batch.
type batchingFake struct {
	*ipvs.Fake
	batches []int
}

var _ ipvs.BatchWriter = (*batchingFake)(nil)

func (b *batchingFake) WriteBatch(ws []ipvs.Write) []error {
	b.batches = append(b.batches, len(ws))
	errs := make([]error, len(ws))
	for i, w := range ws {
		errs[i] = w.Apply(b.Fake)
	}
	return errs
}

// TestSyncBatchesWrites: with a batching kernel the plan goes out in two batches (virtual servers
// first, then the rest minus real servers of a virtual server that failed), the state is the same
// as with single calls, and a no-op sync sends no batch at all.
func TestSyncBatchesWrites(t *testing.T) {
	w := newWorld(t)
	k := &batchingFake{Fake: w.ipvs}
	s, err := NewSyncer(SyncerOptions{IPVS: k, Netif: w.netif, NAT: w.nat, Conntrack: w.ct, NodeName: "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	k.FailNext(ipvs.MethodAddVirtualServer, errInjected, 1) // the first VS: web, with 2 real servers
	if _, err := s.Sync(context.Background(), baseSnapshot(), t0); err == nil {
		t.Fatal("want the injected failure")
	}
	if want := []int{5, 4}; !slices.Equal(k.batches, want) {
		t.Fatalf("batches %v, want %v (5 VS adds; 6 RS adds minus web's 2)", k.batches, want)
	}
	w.expectKernel(baseTable()[1:], baseVIPs...)

	k.batches = nil
	if _, err := s.Sync(context.Background(), baseSnapshot(), t0); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2}; !slices.Equal(k.batches, want) {
		t.Fatalf("retry batches %v, want %v", k.batches, want)
	}
	w.expectKernel(baseTable(), baseVIPs...)

	k.batches = nil
	res, err := s.Sync(context.Background(), baseSnapshot(), t0)
	if err != nil || res.Writes != 0 || len(k.batches) != 0 {
		t.Fatalf("no-op sync: %+v %v, batches %v", res, err, k.batches)
	}
}
