package main

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/slicelb/slicelb/test/bench/ctrlbench"
	"github.com/slicelb/slicelb/test/bench/progress"
	"github.com/slicelb/slicelb/test/bench/report"
)

// QPS settings: slicelb-controller's defaults (--kube-api-qps 200, --kube-api-burst 500) and
// kube-controller-manager's (20, 30). "same-budget" gives kube-controller-manager slicelb's.
const (
	slicelbQPS, slicelbBurst   = 200, 500
	upstreamQPS, upstreamBurst = 20, 30
)

// contenderSetting is one contender in one of the settings the report compares.
type contenderSetting struct {
	c       ctrlbench.Contender
	setting string
}

// controllerScenario runs every rep; checkpoint is called after each run so that the results so
// far are on disk even if the benchmark is stopped.
func controllerScenario(ctx context.Context, o options, work string, res *report.Results, checkpoint func()) error {
	for _, p := range []string{o.controllerBin, o.kcmBin, filepath.Join(o.assets, "kube-apiserver"), filepath.Join(o.assets, "etcd")} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("missing %s (make bench builds it): %w", p, err)
		}
	}
	size := ctrlbench.Size{Services: 1000, PodsPerService: 20, FlipPercent: 10, Selectorless: 100, AddressesPerEndpoints: 10, Nodes: 20}
	flipRate := 200.0
	timeout := 10 * time.Minute
	if o.quick {
		size = ctrlbench.Size{Services: 100, PodsPerService: 10, FlipPercent: 10, Selectorless: 10, AddressesPerEndpoints: 10, Nodes: 5}
		flipRate, timeout = 50, 3*time.Minute
	}
	res.Controller.Workload = report.Workload{Services: size.Services, PodsPerService: size.PodsPerService, FlipPercent: size.FlipPercent,
		Selectorless: size.Selectorless, AddressesPerEPs: size.AddressesPerEndpoints, Nodes: size.Nodes, IdleSeconds: int(o.idle.Seconds())}
	// One write per object that must change: the bulk creates an Endpoints and a slice per
	// Service, the flip updates each once, mirroring creates one slice per selectorless Service.
	res.Controller.FloorWrites = 2*size.Services + 2*size.Services + size.Selectorless
	contenders := []contenderSetting{
		{ctrlbench.Contender{Name: report.Slicelb, Path: o.controllerBin, QPS: slicelbQPS, Burst: slicelbBurst}, report.OwnDefaults},
		{ctrlbench.Contender{Name: report.Upstream, Path: o.kcmBin, QPS: upstreamQPS, Burst: upstreamBurst}, report.OwnDefaults},
		{ctrlbench.Contender{Name: report.Upstream, Path: o.kcmBin, QPS: slicelbQPS, Burst: slicelbBurst, SetQPS: true}, report.SameBudget},
		{ctrlbench.Contender{Name: report.Slicelb, Path: o.controllerBin, QPS: slicelbQPS, Burst: slicelbBurst,
			ExtraArgs: []string{"--endpoint-updates-batch-period=" + report.BatchedPeriod}, Env: []string{"GOGC=" + report.EconomyGOGC}}, report.Batched},
	}
	if len(o.only) > 0 {
		contenders = slices.DeleteFunc(contenders, func(k contenderSetting) bool { return !slices.Contains(o.only, k.c.Name+"/"+k.setting) })
		if len(contenders) == 0 {
			return fmt.Errorf("--only %v names no contender (contender/setting, e.g. %s/%s)", o.only, report.Slicelb, report.OwnDefaults)
		}
	}
	for i := range contenders {
		if contenders[i].c.Name == report.Slicelb {
			contenders[i].c.ExtraArgs = append(contenders[i].c.ExtraArgs, o.slicelbArgs...)
		}
	}
	bar := progress.New(os.Stderr, o.reps*len(contenders))
	defer bar.Finish()
	for rep := o.firstRep; rep < o.firstRep+o.reps; rep++ {
		for _, k := range contenders {
			label := fmt.Sprintf("controller rep %d: %s (%s, QPS %g)", rep, k.c.Name, k.setting, k.c.QPS)
			bar.Step(label)
			run, err := ctrlbench.Run(ctx, ctrlbench.Config{
				Assets: o.assets, CRDDir: o.crdDir, WorkDir: work, Size: size, Contender: k.c, Rep: rep, Setting: k.setting,
				FlipRate: flipRate, Idle: o.idle, Timeout: timeout,
				Progress: func(d string) { bar.Detail("%s", d) },
			})
			res.Controller.Runs = append(res.Controller.Runs, run)
			bar.Done()
			checkpoint()
			if err != nil {
				fmt.Fprintf(os.Stderr, "\n%s: %v\n", label, err)
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
	}
	return nil
}

// writeChart draws the bulk phase of the first successful run of each contender and setting.
func writeChart(path string, res *report.Results) error {
	colors := map[string]color.RGBA{
		report.Slicelb + "/" + report.OwnDefaults:  {0, 114, 178, 255},
		report.Upstream + "/" + report.OwnDefaults: {213, 94, 0, 255},
		report.Upstream + "/" + report.SameBudget:  {0, 158, 115, 255},
		report.Slicelb + "/" + report.Batched:      {204, 121, 167, 255},
	}
	var series []report.Series
	seen := map[string]bool{}
	for _, r := range res.Controller.Runs {
		key := r.Contender + "/" + r.Setting
		if r.Error != "" || seen[key] || len(r.Timeline) == 0 {
			continue
		}
		seen[key] = true
		series = append(series, report.Series{Label: fmt.Sprintf("%s, %s (QPS %g)", r.Contender, r.Setting, r.QPS), Color: colors[key], Points: r.Timeline})
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	wl := res.Controller.Workload
	title := fmt.Sprintf("Bulk create of %d Services x %d pods: fraction of Endpoints + EndpointSlices converged", wl.Services, wl.PodsPerService)
	if err := report.DrawConvergence(f, title, series); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
