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
	writeTimeSplit(b, d.Steps)
	writeCalibration(b, d)
	fmt.Fprintf(b, "\nBaseline: %s\n\n### Targets (dataplane)\n\n| target | measured | verdict |\n|---|---|---|\n", orDash(d.Baseline))
	slowdown := d.Calibration.Slowdown()
	for _, variant := range variants(d.Steps) {
		full, okF := step(d.Steps, StepFull, variant)
		change, okC := step(d.Steps, StepChange, variant)
		noop, okN := step(d.Steps, StepNoop, variant)
		if okF {
			fmt.Fprintf(b, "| full sync of %d×%d < 2 s (%s) | %.0f ms | %s |\n", d.VirtualServers, d.RealServers, variant, full.WallMs, verdict(full.WallMs < 2000))
			if slowdown > 0 {
				est := full.WallMs / slowdown
				fmt.Fprintf(b, "| full sync of %d×%d < 2 s, **native-equivalent estimate** (%s) | %.0f ms ÷ %.1f = ~%.0f ms (estimate, see TCG calibration) | %s (estimate) |\n",
					d.VirtualServers, d.RealServers, variant, full.WallMs, slowdown, est, verdict(est < 2000))
			}
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

// writeTimeSplit says where each step's wall time went, when the guest measured it.
func writeTimeSplit(b *strings.Builder, steps []DataplaneStep) {
	split := false
	for _, s := range steps {
		split = split || s.IPVSWriteMs > 0 || s.IPVSReadMs > 0 || s.DeviceMs > 0
	}
	if !split {
		return
	}
	b.WriteString("\nWhere the wall time went (ms): inside IPVS netlink writes and reads (system calls, the kernel's work for them " +
		"and building/parsing the messages), inside the slicelb0 calls (address dump, address adds/removes, device and sysctl " +
		"checks), and the rest (the agent's planning in Go). Guest CPU is the VM's /proc/stat over the step (10 ms ticks); " +
		"softirq includes the IPVS rate estimators, which kernel 6.1 runs from a timer every 2 s over every virtual and real server.\n\n" +
		"| step | variant | wall | IPVS writes | IPVS reads | slicelb0 | rest (planning) | guest CPU user / system / softirq |\n" +
		"|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, s := range steps {
		cpu := "—"
		if c := s.GuestCPU; c != nil {
			cpu = fmt.Sprintf("%.0f / %.0f / %.0f", c.UserMs, c.SystemMs, c.SoftirqMs)
		}
		rest := max(s.WallMs-s.IPVSWriteMs-s.IPVSReadMs-s.DeviceMs, 0)
		fmt.Fprintf(b, "| %s | %s | %.0f | %.0f | %.0f | %.0f | %.0f | %s |\n",
			s.Name, s.Variant, s.WallMs, s.IPVSWriteMs, s.IPVSReadMs, s.DeviceMs, rest, cpu)
	}
}

// writeCalibration reports the emulator's slowdown on a fixed workload and what the full syncs
// would take at that slowdown: an estimate, since kernel work need not slow down by the same factor.
func writeCalibration(b *strings.Builder, d DataplaneBench) {
	c := d.Calibration
	if c == nil {
		return
	}
	fmt.Fprintf(b, "\n### TCG calibration\n\nThe guest runs under %s. To judge its wall times against targets meant for a real "+
		"machine, one fixed, deterministic, pure-CPU workload ran on the host (in slicelb-bench) and in the guest in the same "+
		"run, each the fastest of %d runs: %s.\n\n| host | guest | slowdown |\n|---:|---:|---:|\n", orDash(d.Accel), c.Reps, c.Workload)
	slowdown := c.Slowdown()
	if slowdown <= 0 {
		fmt.Fprintf(b, "| %.1f ms | %.1f ms | — |\n\n", c.HostMs, c.GuestMs)
		return
	}
	fmt.Fprintf(b, "| %.1f ms | %.1f ms | %.1f× |\n\n", c.HostMs, c.GuestMs, slowdown)
	b.WriteString("| step | variant | wall in the guest | native-equivalent **estimate** (wall ÷ slowdown) |\n|---|---|---:|---:|\n")
	for _, s := range d.Steps {
		fmt.Fprintf(b, "| %s | %s | %.0f ms | ~%.0f ms |\n", s.Name, s.Variant, s.WallMs, s.WallMs/slowdown)
	}
	b.WriteString("\nThe estimate is not a measurement: the workload is Go code, while much of a sync is the kernel's work " +
		"(netlink, IPVS, address insertion), whose slowdown under emulation differs (every system call, page-table walk and " +
		"lock is emulated too), and both sides ran on cores shared with other work (hence the fastest of several runs). " +
		"Read it as the order of magnitude on a real machine.\n")
}
