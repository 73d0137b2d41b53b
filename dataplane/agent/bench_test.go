package agent

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
)

// largeSnapshot is services ClusterIP Services with perService endpoints each.
func largeSnapshot(services, perService int) Snapshot {
	snap := Snapshot{Node: node("node-a", "192.168.1.10")}
	for i := range services {
		name := fmt.Sprintf("svc-%d", i)
		snap.Services = append(snap.Services, service(name, fmt.Sprintf("10.96.%d.%d", i/250, 1+i%250),
			corev1.ServiceTypeClusterIP, portSpec{name: "http", proto: corev1.ProtocolTCP, port: 80}))
		var eps []ep
		for j := range perService {
			eps = append(eps, ep{fmt.Sprintf("10.%d.%d.%d", 100+j, i/250, 1+i%250), "node-b", true})
		}
		snap.Slices = append(snap.Slices, endpointSlice(name, name+"-1", []slicePort{{"http", corev1.ProtocolTCP, 8080}}, eps...))
	}
	return snap
}

// BenchmarkSyncNoOp10kx10 measures the agent's own cost (proxier + diff + bookkeeping, fake
// kernel) of a no-op resync of 10,000 virtual servers with 10 real servers each.
func BenchmarkSyncNoOp10kx10(b *testing.B) { benchmarkNoOp(b, 0) }

// BenchmarkSyncNoOpCached10kx10 is the same between full resyncs (planned against the cache).
func BenchmarkSyncNoOpCached10kx10(b *testing.B) { benchmarkNoOp(b, time.Hour) }

func benchmarkNoOp(b *testing.B, fullResync time.Duration) {
	snap := largeSnapshot(10000, 10)
	s, err := NewSyncer(SyncerOptions{IPVS: ipvs.NewFake(), Netif: netif.NewFake(), NAT: &nat.Fake{}, Conntrack: &conntrack.Fake{},
		NodeName: "node-a", FullResyncPeriod: fullResync})
	if err != nil {
		b.Fatal(err)
	}
	if res, err := s.Sync(context.Background(), snap, t0); err != nil || res.VirtualServers != 10000 || res.RealServers != 100000 {
		b.Fatalf("full sync %+v %v", res, err)
	}
	b.ResetTimer()
	for b.Loop() {
		if res, err := s.Sync(context.Background(), snap, t0); err != nil || res.Writes != 0 {
			b.Fatalf("no-op sync %+v %v", res, err)
		}
	}
}

// BenchmarkSyncFull10kx10 measures a full programming of 10,000 × 10 into an empty fake kernel.
func BenchmarkSyncFull10kx10(b *testing.B) {
	snap := largeSnapshot(10000, 10)
	for b.Loop() {
		s, err := NewSyncer(SyncerOptions{IPVS: ipvs.NewFake(), Netif: netif.NewFake(), NodeName: "node-a"})
		if err != nil {
			b.Fatal(err)
		}
		if res, err := s.Sync(context.Background(), snap, t0); err != nil || res.Writes != 10000+100000+10000 {
			b.Fatalf("full sync %+v %v", res, err)
		}
	}
}
