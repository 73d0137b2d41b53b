package report

import (
	"fmt"
	"strings"
)

// AgentFigure is one row of the node-agent comparison: a figure of each agent (lower is better
// for every one of them) and whether it was measured.
type AgentFigure struct {
	Name                string
	KubeProxy, Slicelb  float64
	HaveKP, HaveSlicelb bool
}

// AgentFigures lines up the figures the issue asks for: per step wall time, netlink writes and
// reads, and the agent's peak RSS. A figure an agent lacks (a failed run, no counting pass) is
// marked absent rather than 0, so no ratio is made up.
func AgentFigures(kp, sl *AgentBench) []AgentFigure {
	var out []AgentFigure
	get := func(a *AgentBench, stepName string, f func(AgentStep) (float64, bool)) (float64, bool) {
		if a == nil {
			return 0, false
		}
		for _, s := range a.Steps {
			if s.Name == stepName {
				return f(s)
			}
		}
		return 0, false
	}
	add := func(name, stepName string, f func(AgentStep) (float64, bool)) {
		k, okK := get(kp, stepName, f)
		s, okS := get(sl, stepName, f)
		out = append(out, AgentFigure{Name: name, KubeProxy: k, Slicelb: s, HaveKP: okK, HaveSlicelb: okS})
	}
	wall := func(s AgentStep) (float64, bool) { return s.WallMs, s.Name != AgentStepNoop || s.Syncs > 0 }
	syncSec := func(s AgentStep) (float64, bool) { return s.SyncSeconds * 1000, s.Syncs > 0 }
	writes := func(s AgentStep) (float64, bool) { return float64(s.NetlinkWrites), s.NetlinkWrites >= 0 }
	reads := func(s AgentStep) (float64, bool) { return float64(s.NetlinkReads), s.NetlinkReads >= 0 }
	add("full sync: start → whole table in the kernel (ms)", AgentStepFull, wall)
	add("full sync: the agent's own sync durations until then (ms)", AgentStepFull, syncSec)
	add("one endpoint change: slice update → kernel (ms)", AgentStepChange, wall)
	add("one endpoint change: the agent's sync duration (ms)", AgentStepChange, syncSec)
	add("no-op periodic sync: the agent's sync duration (ms)", AgentStepNoop, wall)
	for _, st := range []string{AgentStepFull, AgentStepChange, AgentStepNoop} {
		add(st+": netlink writes (requests that change state)", st, writes)
		add(st+": netlink reads (dump and get requests)", st, reads)
	}
	rss := AgentFigure{Name: "peak RSS (MiB)"}
	if kp != nil && kp.Error == "" && kp.PeakRSSMiB > 0 {
		rss.KubeProxy, rss.HaveKP = kp.PeakRSSMiB, true
	}
	if sl != nil && sl.Error == "" && sl.PeakRSSMiB > 0 {
		rss.Slicelb, rss.HaveSlicelb = sl.PeakRSSMiB, true
	}
	return append(out, rss)
}

// Verdict says whether slicelb-node beats kube-proxy on the figure ("lower" wins; a tie is not
// faster), or why it cannot be judged.
func (f AgentFigure) Verdict() string {
	switch {
	case !f.HaveKP:
		return "not judged: kube-proxy not measured"
	case !f.HaveSlicelb:
		return "not judged: slicelb-node not measured"
	case f.Slicelb < f.KubeProxy:
		return "met"
	default:
		return "**not met**"
	}
}

func findAgent(agents []AgentBench, name string) *AgentBench {
	for i := range agents {
		if agents[i].Agent == name {
			return &agents[i]
		}
	}
	return nil
}

func writeNodeAgents(b *strings.Builder, n *NodeAgentsBench) {
	if n == nil {
		return
	}
	fmt.Fprintf(b, "## Node agents end to end (kube-proxy vs slicelb-node, in the VM)\n\n"+
		"%d ClusterIP Services × %d ready endpoints written directly by the harness (Services + EndpointSlices, no controller; "+
		"%.0f s to create) on a local etcd + kube-apiserver v1.37.1; one VM boot (%s, %d vCPUs, %d MiB) runs each agent as a "+
		"node `vm-node` against it through qemu's user network, kube-proxy first, then its cleanup, then slicelb-node. "+
		"Both agents' periodic sync: %s.\n\n",
		n.VirtualServers, n.RealServers, n.HarnessSeconds, orDash(n.Accel), n.CPUs, n.MemoryMB, n.SyncPeriod)
	if n.VirtualServers != IssueVirtualServers {
		fmt.Fprintf(b, "**Not the issue's %d × 10 workload** (--quick, or the default under TCG emulation, where kube-proxy's first sync of "+
			"10,000 alone runs for over 20 minutes; --agent-services sets it): the verdicts below hold at this size only.\n\n", IssueVirtualServers)
	}
	if n.Error != "" {
		fmt.Fprintf(b, "**The node-agent scenario failed:** %s\n\n", n.Error)
	}
	kp, sl := findAgent(n.Agents, AgentKubeProxy), findAgent(n.Agents, AgentSlicelb)
	b.WriteString("| figure | kube-proxy | slicelb-node | ratio slicelb/kube-proxy | slicelb faster / fewer |\n|---|---:|---:|---:|---|\n")
	for _, f := range AgentFigures(kp, sl) {
		k, s, q := "—", "—", "—"
		if f.HaveKP {
			k = num(f.KubeProxy)
		}
		if f.HaveSlicelb {
			s = num(f.Slicelb)
		}
		if f.HaveKP && f.HaveSlicelb {
			q = ratio(f.Slicelb, f.KubeProxy)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", f.Name, k, s, q, f.Verdict())
	}
	b.WriteString("\n")
	for _, a := range n.Agents {
		fmt.Fprintf(b, "- **%s** %s `%s`", a.Agent, a.Version, strings.Join(a.Args, " "))
		if a.Error != "" {
			fmt.Fprintf(b, "\n  - **could not be measured:**\n\n```\n%s\n```\n", strings.TrimSpace(a.Error))
		}
		if a.NetlinkNote != "" {
			fmt.Fprintf(b, "\n  - netlink counts: %s", a.NetlinkNote)
		}
		if a.Cleanup != "" {
			fmt.Fprintf(b, "\n  - cleanup afterwards: %s", a.Cleanup)
		}
		for _, s := range a.Steps {
			if s.AgentWrites >= 0 {
				fmt.Fprintf(b, "\n  - %s: the agent's own kernel-write count %d", s.Name, s.AgentWrites)
			}
			if a.NetlinkCounted {
				fmt.Fprintf(b, "\n  - %s: %d syncs in the timed pass, %d in the counting pass; the kernel delivered %d skbs (%d messages) to the processes",
					s.Name, s.Syncs, s.CountingPassSyncs, s.NetlinkReplies, s.NetlinkReplyMessages)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\nHow: each agent runs twice. The timed pass gives the wall times: the guest polls the kernel's IPVS table " +
		"over netlink (every 500 ms for the full table, reading real servers once every virtual server exists; every 5 ms for the " +
		"changed virtual server); the change is timed on the host from the EndpointSlice update until the guest saw the new real " +
		"server with weight > 0. The no-op figure is the agent's own sync-duration histogram (kubeproxy_sync_proxy_rules_duration_seconds " +
		"for IPv4 — kube-proxy also runs an IPv6 proxier, which has no Services here — and slicelb_node_sync_duration_seconds) over its " +
		"next periodic sync; the \"own sync durations\" rows are the same histogram over the step. The counting pass gives the netlink " +
		"figures: the guest's kernel taps every rtnetlink, generic netlink (IPVS) and nfnetlink (ipset, iptables-nft) message to an " +
		"nlmon device, and a packet socket on it classifies every request to the kernel (NLM_F_REQUEST set): a read is a dump " +
		"(NLM_F_DUMP) or a get (rtnetlink RTM_GET*, the generic netlink family lookup, IPVS_CMD_GET_*, ipset and nftables gets), " +
		"a write anything else (each message of an nfnetlink batch counts, its BEGIN/END frames do not), from the agent and " +
		"every program it executes (iptables-restore, ipset). The guest does not touch the kernel while a counting step runs: the step ends when the agent's sync count moved and " +
		"held still, and the table is checked after the count is taken. Peak RSS is VmHWM of the agent's process at the end of the " +
		"timed pass (programs it executes not included). Between agents: the agent's own cleanup command, then the guest deletes " +
		"whatever IPVS state is left, so each agent starts on an empty node.\n\n")
}
