package endpoints

import (
	"testing"
)

// BenchmarkPlanSlices measures a 1000-pod Service: the first plan (10 creates) and a resync
// against the applied result (no-op), which is what every pod event costs.
func BenchmarkPlanSlices(b *testing.B) {
	in := Input{Service: newSvc(dualStack), Nodes: zoneNodes(), TriggerTime: trigger, Pods: bigPods(1000)}
	b.Run("initial", func(b *testing.B) {
		for b.Loop() {
			PlanSlices(in, nil, SliceOptions{})
		}
	})
	gen := 0
	plan, _ := PlanSlices(in, nil, SliceOptions{})
	state := applyPlan(b, nil, plan, &gen)
	b.Run("resync", func(b *testing.B) {
		for b.Loop() {
			if p, _ := PlanSlices(in, state, SliceOptions{}); !p.Empty() {
				b.Fatal("resync not a no-op")
			}
		}
	})
}

// BenchmarkDesiredEndpoints measures the Endpoints object of a 1000-pod Service.
func BenchmarkDesiredEndpoints(b *testing.B) {
	in := Input{Service: newSvc(), TriggerTime: trigger, Pods: bigPods(1000)}
	for b.Loop() {
		DesiredEndpoints(in)
	}
}
