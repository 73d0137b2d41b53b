// Command slicelb-bench runs slicelb and the upstream reference side by side on the same machine,
// API server build and workload, and writes bench/results.json, bench/RESULTS.md and
// bench/convergence.png. `make bench` builds what it needs and runs it; --quick is a smoke run.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/test/bench/report"
)

type options struct {
	quick                  bool
	out                    string
	assets, crdDir         string
	controllerBin, kcmBin  string
	vmAssets               string
	reps                   int
	skipController, skipVM bool
	skipAgents             bool
	agentServices          int
	kubeProxyBin, nodeBin  string
	renderOnly             bool
	notes                  []string
	controllerFrom         string
	firstRep               int
	idle                   time.Duration
	guestArgs              []string
	only                   []string
	slicelbArgs            []string
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "Smoke run: 100 Services × 10 pods, 10 selectorless, one run per contender, 1,000 virtual servers, 1,000 Services for the node agents.")
	flag.StringVar(&o.out, "out", "bench", "Directory for results.json, RESULTS.md and convergence.png.")
	flag.StringVar(&o.assets, "assets", "bin/k8s/1.37.1", "Directory with etcd and kube-apiserver (KUBEBUILDER_ASSETS).")
	flag.StringVar(&o.crdDir, "crd-dir", "config/crd/bases", "slicelb's CRDs, installed into each fresh API server.")
	flag.StringVar(&o.controllerBin, "controller-bin", "bin/slicelb-controller", "The slicelb-controller binary (contender A).")
	flag.StringVar(&o.kcmBin, "kcm-bin", "bin/k8s/1.37.1/kube-controller-manager", "kube-controller-manager v1.37.1 (contender B).")
	flag.StringVar(&o.vmAssets, "vm-assets", "bin/vm", "Kernel and modules for the VM (hack/vm-assets.sh).")
	flag.IntVar(&o.reps, "reps", 0, "Repetitions of each contender (0: 3, or 1 with --quick).")
	flag.BoolVar(&o.skipController, "skip-controller", false, "Skip the controller scenario.")
	flag.BoolVar(&o.skipVM, "skip-dataplane", false, "Skip the dataplane scenario in the VM.")
	flag.BoolVar(&o.skipAgents, "skip-agents", false, "Skip the node-agent scenario (kube-proxy vs slicelb-node in the VM).")
	flag.IntVar(&o.agentServices, "agent-services", 0, "Services (× 10 endpoints) of the node-agent scenario (0: 10,000 with KVM; 1,000 with --quick or under TCG, "+
		"where kube-proxy's first sync of 10,000 alone takes over 20 minutes).")
	flag.StringVar(&o.kubeProxyBin, "kube-proxy-bin", "bin/k8s/1.37.1/kube-proxy", "kube-proxy v1.37.1, the node-agent scenario's baseline.")
	flag.StringVar(&o.nodeBin, "node-bin", "bin/slicelb-node", "The static slicelb-node binary for the node-agent scenario.")
	flag.StringVar(&o.controllerFrom, "controller-from", "", "Comma-separated results.json files of earlier invocations whose controller runs are included (before this run's).")
	flag.IntVar(&o.firstRep, "first-rep", 1, "Number of this invocation's first repetition (when adding to --controller-from runs).")
	flag.Func("note", "A note for RESULTS.md (repeatable), e.g. the machine's load; kept in results.json.", func(v string) error {
		o.notes = append(o.notes, v)
		return nil
	})
	flag.Func("guest-arg", "An extra argument for the dataplane guest (repeatable), e.g. -cpuprofile (writes OUT/dataplane-full-sync.pprof), "+
		"-estimation=0 (net.ipv4.vs.run_estimation for the run) or -full-only.", func(v string) error {
		o.guestArgs = append(o.guestArgs, v)
		return nil
	})
	flag.Func("only", "Run only this controller contender, as contender/setting (repeatable; e.g. slicelb/own-defaults, upstream/same-budget, slicelb/economy): "+
		"for investigating one contender, not for results to compare.", func(v string) error {
		o.only = append(o.only, v)
		return nil
	})
	flag.Func("slicelb-arg", "An extra flag for every slicelb-controller run (repeatable), e.g. --pprof-bind-address=127.0.0.1:6060 to take heap profiles.", func(v string) error {
		o.slicelbArgs = append(o.slicelbArgs, v)
		return nil
	})
	flag.BoolVar(&o.renderOnly, "render-only", false, "Only re-render RESULTS.md and convergence.png from OUT/results.json.")
	flag.DurationVar(&o.idle, "idle", 0, "Idle window with nothing changing (0: 30s, or 10s with --quick).")
	flag.Parse()
	// envtest and client-go log through controller-runtime and klog; the progress bar and the
	// contenders' own log files say what matters.
	ctrllog.SetLogger(logr.Discard())
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
	if o.reps == 0 {
		o.reps = 3
		if o.quick {
			o.reps = 1
		}
	}
	if o.idle == 0 {
		o.idle = 30 * time.Second
		if o.quick {
			o.idle = 10 * time.Second
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "slicelb-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	if o.renderOnly {
		b, err := os.ReadFile(filepath.Join(o.out, "results.json"))
		if err != nil {
			return err
		}
		var res report.Results
		if err := json.Unmarshal(b, &res); err != nil {
			return err
		}
		res.Notes = append(res.Notes, o.notes...)
		return writeOutputs(o.out, &res)
	}
	work, err := os.MkdirTemp("", "slicelb-bench-")
	if err != nil {
		return err
	}
	res := &report.Results{Started: time.Now(), Quick: o.quick, Host: report.Host{CPUs: runtime.NumCPU(), LoadStart: loadAvg()}}
	if rev, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output(); err == nil {
		note := "slicelb built from commit " + strings.TrimSpace(string(rev))
		if strings.HasSuffix(note, "-dirty") {
			note += " (with uncommitted changes of the working tree)"
		}
		res.Notes = append(res.Notes, note+".")
	}
	res.Notes = append(res.Notes, o.notes...)
	if err := loadControllerRuns(o.controllerFrom, res); err != nil {
		return err
	}
	checkpoint := func() {
		res.Finished = time.Now()
		res.Host.LoadEnd = loadAvg()
		if err := writeOutputs(o.out, res); err != nil {
			fmt.Fprintln(os.Stderr, "\nwriting partial results:", err)
		}
	}
	if !o.skipController {
		if err := controllerScenario(ctx, o, work, res, checkpoint); err != nil {
			return err
		}
	}
	if !o.skipVM {
		dataplaneScenario(ctx, o, work, res)
		checkpoint()
	}
	if !o.skipAgents {
		nodeAgentsScenario(ctx, o, work, res)
	}
	res.Finished = time.Now()
	res.Host.LoadEnd = loadAvg()
	if err := writeOutputs(o.out, res); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s/results.json, %s/RESULTS.md, %s/convergence.png (contender logs and the VM log: %s)\n", o.out, o.out, o.out, work)
	return nil
}

func writeOutputs(dir string, res *report.Results) error {
	if err := res.WriteJSON(filepath.Join(dir, "results.json")); err != nil {
		return err
	}
	md, err := os.Create(filepath.Join(dir, "RESULTS.md"))
	if err != nil {
		return err
	}
	if err := report.WriteMarkdown(md, res); err != nil {
		_ = md.Close()
		return err
	}
	if err := md.Close(); err != nil {
		return err
	}
	if err := writeChart(filepath.Join(dir, "convergence.png"), res); err != nil {
		return err
	}
	return nil
}

// loadAvg is /proc/loadavg's three averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// loadControllerRuns appends the controller runs (and takes the workload) of earlier results files.
func loadControllerRuns(files string, res *report.Results) error {
	if files == "" {
		return nil
	}
	for _, path := range strings.Split(files, ",") {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var prev report.Results
		if err := json.Unmarshal(b, &prev); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		res.Controller.Workload, res.Controller.FloorWrites = prev.Controller.Workload, prev.Controller.FloorWrites
		res.Controller.Runs = append(res.Controller.Runs, prev.Controller.Runs...)
		if prev.Started.Before(res.Started) {
			res.Started, res.Host.LoadStart = prev.Started, prev.Host.LoadStart
		}
		res.Notes = append(res.Notes, fmt.Sprintf("Includes %d controller runs from an earlier invocation (started %s UTC).",
			len(prev.Controller.Runs), prev.Started.UTC().Format("15:04")))
	}
	return nil
}
