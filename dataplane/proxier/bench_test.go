package proxier

import (
	"fmt"
	"net/netip"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// scaleInput is services ClusterIP Services with one TCP port each, each
// with one EndpointSlice of endpointsPer ready endpoints: services virtual
// servers × endpointsPer real servers.
func scaleInput(services, endpointsPer int) Input {
	in := Input{Node: theNode}
	for i := range services {
		name := fmt.Sprintf("svc-%05d", i)
		vip := netip.AddrFrom4([4]byte{10, 96, byte(i >> 8), byte(i)})
		in.Services = append(in.Services, service(name, []string{vip.String()}, httpSvc))
		eps := make([]discoveryv1.Endpoint, 0, endpointsPer)
		for j := range endpointsPer {
			eps = append(eps, ep(netip.AddrFrom4([4]byte{10, byte(64 + j), byte(i >> 8), byte(i)}).String(), "node-b", ready))
		}
		in.Slices = append(in.Slices, slice(name, name+"-abcde", v4, httpEP, eps...))
	}
	return in
}

// kernelFor returns the table a kernel holds after programming in.
func kernelFor(b *testing.B, in Input) ipvs.Table {
	b.Helper()
	k := ipvs.NewFake()
	for _, op := range PlanSync(SyncInput{Desired: BuildDesired(in), Now: t0}).Ops {
		if err := op.Apply(k); err != nil {
			b.Fatal(err)
		}
	}
	return k.State()
}

// BenchmarkSync10kx10NoOp is the steady-state sync: desired state from
// 10,000 Services × 10 endpoints, diffed against a kernel that already
// matches (the plan must be empty).
func BenchmarkSync10kx10NoOp(b *testing.B) {
	in := scaleInput(10000, 10)
	cur := kernelFor(b, in)
	bound := BuildDesired(in).BindAddresses
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := PlanSync(SyncInput{Desired: BuildDesired(in), Current: cur, BoundAddresses: bound, NodeAddresses: theNode.Addresses, Now: t0})
		if len(p.Ops) != 0 {
			b.Fatalf("no-op plan has %d ops", len(p.Ops))
		}
	}
}

// BenchmarkSync10kx10Full is the first sync on an empty kernel: 10,000
// virtual servers and 100,000 real servers to add.
func BenchmarkSync10kx10Full(b *testing.B) {
	in := scaleInput(10000, 10)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := PlanSync(SyncInput{Desired: BuildDesired(in), NodeAddresses: theNode.Addresses, Now: t0})
		if len(p.Ops) != 110000 {
			b.Fatalf("full plan has %d ops, want 110000", len(p.Ops))
		}
	}
}

// BenchmarkSync10kx10OneEndpointChange: one endpoint replaced in one slice,
// which must cost exactly two writes (add the new, drain/delete the old).
func BenchmarkSync10kx10OneEndpointChange(b *testing.B) {
	in := scaleInput(10000, 10)
	cur := kernelFor(b, in)
	bound := BuildDesired(in).BindAddresses
	changed := in
	changed.Slices = append([]*discoveryv1.EndpointSlice(nil), in.Slices...)
	s := changed.Slices[5000].DeepCopy()
	s.Endpoints[3].Addresses = []string{"10.200.0.1"}
	changed.Slices[5000] = s
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		p := PlanSync(SyncInput{Desired: BuildDesired(changed), Current: cur, BoundAddresses: bound, NodeAddresses: theNode.Addresses, Now: t0})
		if len(p.Ops) != 2 {
			b.Fatalf("plan has %d ops, want 2: %v", len(p.Ops), p.Ops)
		}
	}
}
