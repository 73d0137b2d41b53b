package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
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

func main() {
	n := flag.Int("vs", 10000, "virtual servers (Services with one TCP port)")
	m := flag.Int("rs", 10, "real servers per virtual server")
	flag.Parse()
	if guest.IsPID1() {
		defer guest.PowerOff()
		if _, err := guest.Setup(); err != nil {
			fmt.Println("slicelb-bench-guest: setup:", err)
			return
		}
	}
	fmt.Printf("%s (bench, %d × %d)\n", harness.GuestStarted, *n, *m)
	res, err := measure(*n, *m)
	if err != nil {
		res.Error = err.Error()
	}
	b, _ := json.Marshal(res)
	fmt.Println(ResultPrefix + string(b))
}

func measure(n, m int) (report.DataplaneBench, error) {
	res := report.DataplaneBench{VirtualServers: n, RealServers: m}
	h, err := ipvs.NewNetlink("")
	if err != nil {
		return res, err
	}
	cnt := &dpbench.Counting{Inner: h}
	nif, err := netif.New(netif.Options{})
	if err != nil {
		return res, err
	}
	syncer, err := agent.NewSyncer(agent.SyncerOptions{IPVS: cnt, Netif: nif, NodeName: "node-1"})
	if err != nil {
		return res, err
	}
	ctx := context.Background()
	step := func(name, variant string, floor int, fn func() (int, error)) error {
		r0, w0 := cnt.Counts()
		start := time.Now()
		agentWrites, err := fn()
		wall := time.Since(start)
		r1, w1 := cnt.Counts()
		res.Steps = append(res.Steps, report.DataplaneStep{Name: name, Variant: variant, WallMs: float64(wall.Microseconds()) / 1000,
			Writes: w1 - w0, Reads: r1 - r0, AgentWrites: agentWrites, FloorDiff: floor})
		fmt.Printf("slicelb-bench-guest: %s (%s): %s, %d writes, %d reads\n", name, variant, wall.Round(time.Millisecond), w1-w0, r1-r0)
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
