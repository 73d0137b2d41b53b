package report

import (
	"strings"
	"testing"
)

func agentSteps(fullMs, changeMs, noopSec float64, w, r int) []AgentStep {
	return []AgentStep{
		{Name: AgentStepFull, WallMs: fullMs, SyncSeconds: fullMs / 2000, Syncs: 1, NetlinkWrites: w, NetlinkReads: r},
		{Name: AgentStepChange, WallMs: changeMs, SyncSeconds: 0.01, Syncs: 1, NetlinkWrites: w / 100, NetlinkReads: r / 100},
		{Name: AgentStepNoop, WallMs: noopSec * 1000, SyncSeconds: noopSec, Syncs: 1, NetlinkWrites: 0, NetlinkReads: r / 10},
	}
}

func figure(t *testing.T, fs []AgentFigure, name string) AgentFigure {
	t.Helper()
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no figure %q", name)
	return AgentFigure{}
}

func TestAgentFigures(t *testing.T) {
	kp := &AgentBench{Agent: AgentKubeProxy, Steps: agentSteps(300000, 2000, 20, 10000, 20000), PeakRSSMiB: 90}
	sl := &AgentBench{Agent: AgentSlicelb, Steps: agentSteps(30000, 2500, 0.5, 5000, 100), PeakRSSMiB: 40}
	for _, tc := range []struct {
		name    string
		kp, sl  *AgentBench
		figure  string
		verdict string
		k, s    float64
	}{
		{"faster full sync", kp, sl, "full sync: start → whole table in the kernel (ms)", "met", 300000, 30000},
		{"slower change", kp, sl, "one endpoint change: slice update → kernel (ms)", "**not met**", 2000, 2500},
		{"equal writes are not fewer", kp, sl, AgentStepNoop + ": netlink writes (requests that change state)", "**not met**", 0, 0},
		{"no-op duration", kp, sl, "no-op periodic sync: the agent's sync duration (ms)", "met", 20000, 500},
		{"RSS", kp, sl, "peak RSS (MiB)", "met", 90, 40},
		{"kube-proxy failed", &AgentBench{Agent: AgentKubeProxy, Error: "exec: iptables: not found"}, sl, "peak RSS (MiB)",
			"not judged: kube-proxy not measured", 0, 40},
		{"kube-proxy missing", nil, sl, "full sync: start → whole table in the kernel (ms)", "not judged: kube-proxy not measured", 0, 30000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := figure(t, AgentFigures(tc.kp, tc.sl), tc.figure)
			if f.Verdict() != tc.verdict || f.KubeProxy != tc.k || f.Slicelb != tc.s {
				t.Fatalf("%+v verdict %q; want %v / %v, %q", f, f.Verdict(), tc.k, tc.s, tc.verdict)
			}
		})
	}
}

// Uncounted netlink figures (-1: no counting pass) are absent, never 0.
func TestAgentFiguresUncounted(t *testing.T) {
	sl := &AgentBench{Agent: AgentSlicelb, Steps: agentSteps(1, 1, 1, -1, -1)}
	f := figure(t, AgentFigures(nil, sl), AgentStepFull+": netlink writes (requests that change state)")
	if f.HaveSlicelb {
		t.Fatalf("an uncounted figure is reported: %+v", f)
	}
}

func TestNodeAgentsMarkdown(t *testing.T) {
	var b strings.Builder
	writeNodeAgents(&b, &NodeAgentsBench{VirtualServers: 1000, RealServers: 10, Agents: []AgentBench{
		{Agent: AgentKubeProxy, Error: "exit status 1: can't use ipvs proxier"},
		{Agent: AgentSlicelb, Steps: agentSteps(3000, 100, 0.2, 10, 20), PeakRSSMiB: 40},
	}})
	md := b.String()
	for _, want := range []string{
		"| full sync: start → whole table in the kernel (ms) | — | 3000 | — | not judged: kube-proxy not measured |",
		"can't use ipvs proxier",
		"1000 ClusterIP Services × 10 ready endpoints",
		"**Not the issue's 10000 × 10 workload** (--quick, or the default under TCG emulation",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("section lacks %q:\n%s", want, md)
		}
	}
	b.Reset()
	writeNodeAgents(&b, nil)
	if b.Len() != 0 {
		t.Fatal("no scenario must render nothing")
	}
}
