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
	for _, variant := range variants(d.Steps) {
		full, okF := step(d.Steps, StepFull, variant)
		change, okC := step(d.Steps, StepChange, variant)
		noop, okN := step(d.Steps, StepNoop, variant)
		if okF {
			fmt.Fprintf(b, "| full sync of %d×%d < 2 s (%s) | %.0f ms | %s |\n", d.VirtualServers, d.RealServers, variant, full.WallMs, verdict(full.WallMs < 2000))
			if est, how, ok := nativeEstimate(full, d.Calibration); ok {
				fmt.Fprintf(b, "| full sync of %d×%d < 2 s, **native-equivalent estimate** (%s) | %s = ~%.0f ms (estimate, see TCG calibration) | %s (estimate) |\n",
					d.VirtualServers, d.RealServers, variant, how, est, verdict(est < 2000))
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
			fmt.Fprintf(b, "| writes at the physical floor (%s) | %v | %s |\n", variant, atFloor, verdict(atFloor))
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
		"and building/parsing the messages), inside the slicelb0 calls (VIP route dump, route adds/removes, device and sysctl " +
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

// nativeEstimate is a step's native-equivalent estimate in ms and how it was made: the guest's busy
// CPU time divided by the CPU-time slowdown (both sides free of the host's contention), else the
// wall time divided by the wall-time slowdown. ok is false without a calibration.
func nativeEstimate(s DataplaneStep, c *Calibration) (ms float64, how string, ok bool) {
	if sd := c.CPUSlowdown(); sd > 0 && s.BusyMs() > 0 {
		return s.BusyMs() / sd, fmt.Sprintf("guest CPU %.0f ms ÷ %.1f", s.BusyMs(), sd), true
	}
	if sd := c.Slowdown(); sd > 0 {
		return s.WallMs / sd, fmt.Sprintf("wall %.0f ms ÷ %.1f", s.WallMs, sd), true
	}
	return 0, "", false
}

// writeCalibration reports the emulator's slowdown on a fixed workload and what each step would
// take at that slowdown: an estimate, since kernel work need not slow down by the same factor.
func writeCalibration(b *strings.Builder, d DataplaneBench) {
	c := d.Calibration
	if c == nil {
		return
	}
	fmt.Fprintf(b, "\n### TCG calibration\n\nThe guest runs under %s. To judge its times against targets meant for a real "+
		"machine, one fixed, deterministic, pure-CPU workload ran on the host (in slicelb-bench) and in the guest in the same "+
		"run, each the smallest of %d runs: %s.\n\n"+
		"| clock | host | guest | slowdown |\n|---|---:|---:|---:|\n", orDash(d.Accel), c.Reps, c.Workload)
	sd := func(v float64) string {
		if v <= 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f×", v)
	}
	fmt.Fprintf(b, "| wall | %.1f ms | %.1f ms | %s |\n", c.HostMs, c.GuestMs, sd(c.Slowdown()))
	fmt.Fprintf(b, "| CPU (host: the process's getrusage; guest: busy time in its /proc/stat) | %.1f ms | %.1f ms | %s |\n\n",
		c.HostCPUMs, c.GuestCPUMs, sd(c.CPUSlowdown()))
	if c.Slowdown() <= 0 && c.CPUSlowdown() <= 0 {
		return
	}
	b.WriteString("| step | variant | wall in the guest | guest CPU | native-equivalent **estimate** |\n|---|---|---:|---:|---|\n")
	for _, s := range d.Steps {
		est, how, _ := nativeEstimate(s, c)
		fmt.Fprintf(b, "| %s | %s | %.0f ms | %.0f ms | ~%.0f ms (%s) |\n", s.Name, s.Variant, s.WallMs, s.BusyMs(), est, how)
	}
	b.WriteString("\nThe estimate is not a measurement. The CPU-time slowdown is used where both sides have it: the cores are " +
		"shared with other work, which stretches wall times on both sides by different, changing amounts, while CPU time " +
		"counts only the time the work actually ran (the guest's tick accounting skips the time the host did not run the " +
		"emulated CPU). The workload is Go code, whereas much of a sync is the kernel's work (netlink, IPVS, address " +
		"insertion), whose slowdown under emulation differs (every system call, page-table walk and lock is emulated too). " +
		"Read it as the order of magnitude on a real machine.\n")
}
