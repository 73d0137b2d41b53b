package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/test/bench/ctrlbench"
	"github.com/slicelb/slicelb/test/bench/dpbench"
	"github.com/slicelb/slicelb/test/bench/report"
	"github.com/slicelb/slicelb/test/vm/guest"
	"github.com/slicelb/slicelb/test/vm/harness"
)

// ResultPrefix starts the line carrying the JSON results.
const ResultPrefix = "slicelb-bench-result: "

// ProfilePrefix starts each line of the base64 CPU profile of the full sync (-cpuprofile).
const ProfilePrefix = "slicelb-bench-pprof: "

// guestFlags are the measurement knobs; the host passes them on the kernel command line.
type guestFlags struct {
	n, m int
	// estimation sets net.ipv4.vs.run_estimation before the run (-1: the kernel's default).
	estimation int
	cpuProfile bool
	fullOnly   bool
	// addrProbe, when > 0, first binds that many VIPs to a scratch dummy device in tenths and
	// prints each tenth's time: whether the kernel's cost per address grows with the addresses
	// already on the device.
	addrProbe int
}

func main() {
	var g guestFlags
	flag.IntVar(&g.n, "vs", 10000, "virtual servers (Services with one TCP port)")
	flag.IntVar(&g.m, "rs", 10, "real servers per virtual server")
	flag.IntVar(&g.estimation, "estimation", -1, "net.ipv4.vs.run_estimation for the run (-1: leave the kernel's default)")
	flag.BoolVar(&g.cpuProfile, "cpuprofile", false, "print a CPU profile of the full sync, base64, on lines starting "+ProfilePrefix)
	flag.BoolVar(&g.fullOnly, "full-only", false, "measure the full sync only")
	flag.IntVar(&g.addrProbe, "addr-probe", 0, "first bind this many addresses to a scratch device in tenths, timing each")
	flag.Parse()
	if guest.IsPID1() {
		defer guest.PowerOff()
		if _, err := guest.Setup(); err != nil {
			fmt.Println("slicelb-bench-guest: setup:", err)
			return
		}
	}
	fmt.Printf("%s (bench, %d × %d)\n", harness.GuestStarted, g.n, g.m)
	res, err := measure(g)
	if err != nil {
		res.Error = err.Error()
	}
	b, _ := json.Marshal(res)
	fmt.Println(ResultPrefix + string(b))
}

func measure(g guestFlags) (report.DataplaneBench, error) {
	n, m := g.n, g.m
	res := report.DataplaneBench{VirtualServers: n, RealServers: m}
	h, err := ipvs.NewNetlink("")
	if err != nil {
		return res, err
	}
	if g.estimation >= 0 {
		if err := os.WriteFile("/proc/sys/net/ipv4/vs/run_estimation", []byte(strconv.Itoa(g.estimation)), 0o644); err != nil {
			return res, err
		}
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/vs/run_estimation"); err == nil {
		fmt.Printf("slicelb-bench-guest: net.ipv4.vs.run_estimation = %s", b)
	}
	if g.addrProbe > 0 {
		if err := probeAddresses(g.addrProbe); err != nil {
			return res, err
		}
	}
	// The TCG calibration: the host times the same workload (slicelb-bench) and divides.
	cal, err := dpbench.Calibrate(n, m, dpbench.CalibrationReps, dpbench.MachineCPU)
	if err != nil {
		return res, err
	}
	res.Calibration = &report.Calibration{Workload: dpbench.CalibrationWorkload(n, m), Reps: dpbench.CalibrationReps,
		GuestMs: ms(cal.Wall), GuestCPUMs: ms(cal.CPU)}
	fmt.Printf("slicelb-bench-guest: calibration: %s wall, %s CPU\n", cal.Wall.Round(time.Millisecond), cal.CPU.Round(time.Millisecond))
	cnt := &dpbench.Counting{Inner: h}
	linux, err := netif.New(netif.Options{})
	if err != nil {
		return res, err
	}
	nif := &dpbench.TimedNetif{Inner: linux}
	syncer, err := agent.NewSyncer(agent.SyncerOptions{IPVS: cnt, Netif: nif, NodeName: "node-1"})
	if err != nil {
		return res, err
	}
	ctx := context.Background()
	step := func(name, variant string, floor int, fn func() (int, error)) error {
		r0, w0 := cnt.Counts()
		rd0, wd0 := cnt.Durations()
		dev0 := nif.Duration()
		cpu0, cpuErr := dpbench.ReadCPUTimes()
		var prof bytes.Buffer
		profiling := g.cpuProfile && name == report.StepFull && pprof.StartCPUProfile(&prof) == nil
		start := time.Now()
		agentWrites, err := fn()
		wall := time.Since(start)
		if profiling {
			pprof.StopCPUProfile()
			printProfile(prof.Bytes())
		}
		cpu1, cpuErr1 := dpbench.ReadCPUTimes()
		r1, w1 := cnt.Counts()
		rd1, wd1 := cnt.Durations()
		s := report.DataplaneStep{Name: name, Variant: variant, WallMs: ms(wall),
			Writes: w1 - w0, Reads: r1 - r0, AgentWrites: agentWrites, FloorDiff: floor,
			IPVSWriteMs: ms(wd1 - wd0), IPVSReadMs: ms(rd1 - rd0), DeviceMs: ms(nif.Duration() - dev0)}
		if cpuErr == nil && cpuErr1 == nil {
			d := cpu1.Sub(cpu0)
			s.GuestCPU = &report.CPUSplit{UserMs: ms(d.User), SystemMs: ms(d.System), SoftirqMs: ms(d.Softirq + d.Irq), IdleMs: ms(d.Idle)}
		}
		res.Steps = append(res.Steps, s)
		fmt.Printf("slicelb-bench-guest: %s (%s): %s, %d writes, %d reads; ipvs writes %.0f ms, reads %.0f ms, device %.0f ms; cpu %+v\n",
			name, variant, wall.Round(time.Millisecond), w1-w0, r1-r0, s.IPVSWriteMs, s.IPVSReadMs, s.DeviceMs, s.GuestCPU)
		return err
	}
	agentSync := func(w dpbench.World) func() (int, error) {
		return func() (int, error) {
			r, err := syncer.Sync(ctx, agent.Snapshot{Services: w.Services, Slices: w.Slices}, time.Now())
			return r.Writes, err
		}
	}
	const reread = "agent Syncer (reads the kernel every sync)"
	world := dpbench.NewWorld(n, m)
	changed := world.ReplaceEndpoint(0, n*m)
	// One endpoint replaced: the new real server is added and the old one starts draining (weight 0).
	for _, s := range []struct {
		name  string
		w     dpbench.World
		floor int
	}{{report.StepFull, world, n + n*m}, {report.StepChange, changed, 2}, {report.StepNoop, changed, 0}} {
		if err := step(s.name, reread, s.floor, agentSync(s.w)); err != nil {
			return res, err
		}
		if g.fullOnly {
			return res, nil
		}
	}
	const cachedName = "cached state (proposed: read only on full resync)"
	c := &dpbench.Cached{H: cnt, NodeName: "node-1"}
	if err := step("full resync read (cache fill)", cachedName, 0, func() (int, error) { return 0, c.Resync() }); err != nil {
		return res, err
	}
	again := changed.ReplaceEndpoint(1, n*m+1)
	for _, s := range []struct {
		name  string
		w     dpbench.World
		floor int
	}{{report.StepChange, again, 2}, {report.StepNoop, again, 0}} {
		if err := step(s.name, cachedName, s.floor, func() (int, error) { return c.Sync(s.w, time.Now()) }); err != nil {
			return res, err
		}
	}
	// The agent's own kernel-table cache (SyncerOptions.FullResyncPeriod, as slicelb-node runs it): a
	// restarted agent's first sync reads the whole table; later syncs plan against the cache.
	cachedSyncer, err := agent.NewSyncer(agent.SyncerOptions{IPVS: cnt, Netif: nif, NodeName: "node-1", FullResyncPeriod: time.Hour})
	if err != nil {
		return res, err
	}
	const agentCached = "agent Syncer with FullResyncPeriod (kernel-table cache), after a restart"
	third := again.ReplaceEndpoint(2, n*m+2)
	for _, s := range []struct {
		name  string
		w     dpbench.World
		floor int
	}{{"restart: first sync (full read, nothing to write)", again, 0}, {report.StepChange, third, 2}, {report.StepNoop, third, 0}} {
		if err := step(s.name, agentCached, s.floor, func() (int, error) {
			r, err := cachedSyncer.Sync(ctx, agent.Snapshot{Services: s.w.Services, Slices: s.w.Slices}, time.Now())
			return r.Writes, err
		}); err != nil {
			return res, err
		}
	}
	stats, err := ctrlbench.ReadProcStats(os.Getpid())
	res.AgentRSSMiB = stats.PeakRSSMiB
	return res, err
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// printProfile writes p to the console as base64 lines the host reassembles.
func printProfile(p []byte) {
	enc := base64.StdEncoding.EncodeToString(p)
	for len(enc) > 0 {
		n := min(len(enc), 96)
		fmt.Println(ProfilePrefix + enc[:n])
		enc = enc[n:]
	}
}

// probeAddresses binds n addresses (192.168.0.0/16 and up) to a scratch dummy device, a tenth at a
// time through the agent's own netif code, printing each tenth's wall time, then deletes the device.
func probeAddresses(n int) error {
	dev, err := netif.New(netif.Options{Device: "probe0"})
	if err != nil {
		return err
	}
	defer dev.Close()
	if err := dev.EnsureDevice(); err != nil {
		return err
	}
	var want []netip.Addr
	step := max(n/10, 1)
	for len(want) < n {
		for range step {
			i := len(want)
			want = append(want, netip.AddrFrom4([4]byte{192, byte(168 + i>>16), byte(i >> 8), byte(i)}))
		}
		start := time.Now()
		if _, err := dev.SyncAddresses(want); err != nil {
			return err
		}
		fmt.Printf("slicelb-bench-guest: addr-probe: %d → %d addresses: %s (%.0f µs per address)\n",
			len(want)-step, len(want), time.Since(start).Round(time.Millisecond), float64(time.Since(start).Microseconds())/float64(step))
	}
	start := time.Now()
	err = dev.DeleteDevice()
	fmt.Printf("slicelb-bench-guest: addr-probe: deleting the device with %d addresses: %s\n", len(want), time.Since(start).Round(time.Millisecond))
	return err
}
