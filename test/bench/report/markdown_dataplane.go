package report

import (
	"fmt"
	"strings"
)

// Dataplane step names.
const (
	StepFull   = "full sync"
	StepChange = "one endpoint change"
	StepNoop   = "no-op sync"
)

func writeDataplane(b *strings.Builder, r *Results) {
	d := r.Dataplane
	fmt.Fprintf(b, "## Dataplane scenario (in the VM)\n\n%d virtual servers × %d real servers through the agent's Syncer "+
		"(the real kernel's IPVS over netlink) in a qemu guest (accelerator: %s). Reads are netlink dumps "+
		"(one per virtual-server list, one per real-server list); writes are IPVS commands. Agent peak RSS: %s MiB.\n\n",
		d.VirtualServers, d.RealServers, orDash(d.Accel), num(d.AgentRSSMiB))
	if d.Error != "" {
		fmt.Fprintf(b, "**The dataplane scenario failed:** %s\n\n", d.Error)
	}
	b.WriteString("| step | variant | wall ms | netlink writes | netlink reads | baseline: physical floor (writes = diff size) |\n|---|---|---:|---:|---:|---:|\n")
	for _, s := range d.Steps {
		fmt.Fprintf(b, "| %s | %s | %.1f | %d | %d | %d |\n", s.Name, s.Variant, s.WallMs, s.Writes, s.Reads, s.FloorDiff)
	}
	fmt.Fprintf(b, "\nBaseline: %s\n\n### Targets (dataplane)\n\n| target | measured | verdict |\n|---|---|---|\n", orDash(d.Baseline))
	for _, variant := range variants(d.Steps) {
		full, okF := step(d.Steps, StepFull, variant)
		change, okC := step(d.Steps, StepChange, variant)
		noop, okN := step(d.Steps, StepNoop, variant)
		if okF {
			fmt.Fprintf(b, "| full sync of %d×%d < 2 s (%s) | %.0f ms | %s |\n", d.VirtualServers, d.RealServers, variant, full.WallMs, verdict(full.WallMs < 2000))
		}
		if okC {
			fmt.Fprintf(b, "| one endpoint change ≤ 3 netlink writes (%s) | %d writes, %d reads | %s |\n", variant, change.Writes, change.Reads, verdict(change.Writes <= 3))
		}
		if okN {
			fmt.Fprintf(b, "| no-op sync 0 writes (%s) | %d writes, %d reads | %s |\n", variant, noop.Writes, noop.Reads, verdict(noop.Writes == 0))
		}
		if okF && okC && okN {
			atFloor := full.Writes <= full.FloorDiff && change.Writes <= change.FloorDiff && noop.Writes <= noop.FloorDiff
			fmt.Fprintf(b, "| faster than the baseline on each figure (%s) | writes at the floor: %v; kube-proxy not measured (see Baseline) | %s |\n",
				variant, atFloor, "not judged against kube-proxy")
		}
	}
	b.WriteString("\n")
}

func variants(steps []DataplaneStep) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range steps {
		if !seen[s.Variant] {
			seen[s.Variant] = true
			out = append(out, s.Variant)
		}
	}
	return out
}

func step(steps []DataplaneStep, name, variant string) (DataplaneStep, bool) {
	for _, s := range steps {
		if s.Name == name && s.Variant == variant {
			return s, true
		}
	}
	return DataplaneStep{}, false
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
