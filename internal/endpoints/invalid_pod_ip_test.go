package endpoints

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestUnparsablePodIPs: kube-apiserver refuses a pod status whose IP does not parse (the
// reliability suite proves it), so such a pod only reaches the planner from a broken or older
// server. The planner must then leave that pod out — and nothing else: the whole Endpoints object
// and the whole slice plan equal those computed without the pod, and no Problem is invented.
func TestUnparsablePodIPs(t *testing.T) {
	for _, bad := range []string{"999.1.2.3", "not-an-ip", "10.0.0.1 ", "fe80::1%eth0", ""} {
		t.Run(bad, func(t *testing.T) {
			good := []*corev1.Pod{newPod("good-1", "10.1.0.1"), newPod("good-2", "10.1.0.2", "fd00::1:2")}
			withBad := append(append([]*corev1.Pod{}, good...), newPod("bad", bad), newPod("bad-dual", "10.1.0.9x", bad))
			base := Input{Service: newSvc(dualStack), Pods: good, Nodes: zoneNodes(), TriggerTime: trigger}
			in := base
			in.Pods = withBad

			wantEp, wantProblems := DesiredEndpoints(base)
			gotEp, gotProblems := DesiredEndpoints(in)
			diff(t, "Endpoints", wantEp, gotEp)
			diff(t, "Endpoints problems", wantProblems, gotProblems)

			wantPlan, wantSliceProblems := PlanSlices(base, nil, SliceOptions{})
			gotPlan, gotSliceProblems := PlanSlices(in, nil, SliceOptions{})
			diff(t, "slice plan", wantPlan, gotPlan)
			diff(t, "slice problems", wantSliceProblems, gotSliceProblems)
			if len(gotPlan.Create) != 2 {
				t.Fatalf("want one slice per family for the good pods, got %d", len(gotPlan.Create))
			}
		})
	}
}
