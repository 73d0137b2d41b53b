package policy

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// BenchmarkResolve is the node agent's per-sync cost: 10,000 Services in 100 namespaces, 5,000
// policies with 4 targets each, every Service targeted by two policies (one wins, one conflicts).
func BenchmarkResolve(b *testing.B) {
	policies, services := benchInput()
	exists := ServiceSet(services...)
	b.ReportAllocs()
	for b.Loop() {
		if r := Resolve(policies, exists); len(r.Overrides) != len(services) {
			b.Fatalf("%d overrides, want %d", len(r.Overrides), len(services))
		}
	}
}

func benchInput() ([]*v1alpha1.LoadBalancingPolicy, []types.NamespacedName) {
	var policies []*v1alpha1.LoadBalancingPolicy
	var services []types.NamespacedName
	for n := range 100 {
		ns := fmt.Sprintf("ns-%d", n)
		for s := range 100 {
			services = append(services, key(ns, fmt.Sprintf("svc-%d", s)))
		}
		for p := range 50 {
			var targets []string
			for t := range 4 {
				targets = append(targets, fmt.Sprintf("svc-%d", (p*2+t)%100))
			}
			policies = append(policies, lbp(ns, fmt.Sprintf("p-%d", p), p, targets...))
		}
	}
	return policies, services
}

// BenchmarkOverrides is the same input through Overrides, which skips the conditions.
func BenchmarkOverrides(b *testing.B) {
	policies, services := benchInput()
	exists := ServiceSet(services...)
	b.ReportAllocs()
	for b.Loop() {
		if o := Overrides(policies, exists); len(o) != len(services) {
			b.Fatalf("%d overrides, want %d", len(o), len(services))
		}
	}
}
