package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/slicelb/slicelb/test/bench/dpbench"
	"github.com/slicelb/slicelb/test/bench/progress"
	"github.com/slicelb/slicelb/test/bench/report"
	"github.com/slicelb/slicelb/test/vm/harness"
)

// guestResultPrefix matches the guest program's result line; guestProfilePrefix its CPU profile lines.
const (
	guestResultPrefix  = "slicelb-bench-result: "
	guestProfilePrefix = "slicelb-bench-pprof: "
)

// guestModules: IPVS with its conntrack dependencies, and dummy for slicelb0.
var guestModules = []string{"crc32c_generic", "libcrc32c", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "ip_vs", "ip_vs_rr", "dummy"}

// kubeProxyBaseline says what this section compares with: the Syncer alone against the kernel has
// no informers, so kube-proxy cannot run here; it is measured end to end against slicelb-node in
// the node-agent section (same VM kernel, same objects through a real API server).
const kubeProxyBaseline = "physical floor (writes = size of the diff). kube-proxy v1.37.1 --proxy-mode=ipvs needs an API " +
	"server and is compared with the real slicelb-node, end to end in one VM boot, in the node-agent section below."

func dataplaneScenario(ctx context.Context, o options, work string, res *report.Results) {
	n, m := 10000, 10
	if o.quick {
		n = 1000
	}
	bar := progress.New(os.Stderr, 1)
	defer bar.Finish()
	bar.Step(fmt.Sprintf("dataplane: %d virtual servers × %d real servers in the VM", n, m))
	d, err := runVM(ctx, o, work, n, m, func(line string) { bar.Detail("%s", line) })
	if d.Calibration != nil {
		// The host's side of the TCG calibration, right after the guest's, on the same shared cores.
		bar.Detail("calibrating on the host")
		host, cerr := dpbench.Calibrate(n, m, dpbench.CalibrationReps, dpbench.ProcessCPU)
		if cerr != nil && err == nil {
			err = cerr
		}
		d.Calibration.HostMs = float64(host.Wall.Microseconds()) / 1000
		d.Calibration.HostCPUMs = float64(host.CPU.Microseconds()) / 1000
	}
	bar.Done()
	d.Baseline = kubeProxyBaseline
	if err != nil {
		d.Error = err.Error()
		fmt.Fprintf(os.Stderr, "\ndataplane: %v\n", err)
	}
	res.Dataplane = d
}

func runVM(ctx context.Context, o options, work string, n, m int, say func(string)) (report.DataplaneBench, error) {
	d := report.DataplaneBench{VirtualServers: n, RealServers: m}
	if _, err := os.Stat(filepath.Join(o.vmAssets, ".stamp")); err != nil {
		return d, fmt.Errorf("no VM assets in %s (make vm-assets): %w", o.vmAssets, err)
	}
	guestBin := filepath.Join(work, "bench-guest")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", guestBin, "./test/bench/cmd/slicelb-bench-guest")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		return d, fmt.Errorf("building the guest: %w\n%s", err, out)
	}
	version, err := os.ReadFile(filepath.Join(o.vmAssets, "kernel-version"))
	if err != nil {
		return d, err
	}
	initrd := filepath.Join(work, "bench-initrd.gz")
	f, err := os.Create(initrd)
	if err != nil {
		return d, err
	}
	_, err = harness.Initramfs{Init: guestBin, ModulesDir: filepath.Join(o.vmAssets, "lib", "modules", strings.TrimSpace(string(version))),
		Modules: guestModules}.Write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return d, fmt.Errorf("writing the initramfs: %w", err)
	}
	kernel := filepath.Join(o.vmAssets, "vmlinux")
	if _, err := os.Stat(kernel); err != nil {
		kernel = filepath.Join(o.vmAssets, "vmlinuz")
	}
	args := append([]string{fmt.Sprintf("-vs=%d", n), fmt.Sprintf("-rs=%d", m)}, o.guestArgs...)
	boot := harness.Boot{Kernel: kernel, Initrd: initrd, Args: args,
		MemoryMB: 2048, CPUs: 1, Accel: harness.ChooseAccel(), Timeout: 40 * time.Minute}
	d.Accel = boot.Accel
	log, runErr := boot.Run(ctx, lineWriter{say: say})
	if err := os.WriteFile(filepath.Join(work, "bench-vm.log"), []byte(log), 0o644); err != nil {
		return d, err
	}
	if err := saveProfile(log, filepath.Join(o.out, "dataplane-full-sync.pprof")); err != nil {
		return d, err
	}
	for _, line := range strings.Split(log, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), guestResultPrefix); ok {
			var got report.DataplaneBench
			if err := json.Unmarshal([]byte(rest), &got); err != nil {
				return d, fmt.Errorf("the guest's result line: %w", err)
			}
			got.Accel = d.Accel
			if got.Error != "" {
				return got, fmt.Errorf("in the guest: %s", got.Error)
			}
			return got, nil
		}
	}
	return d, fmt.Errorf("the guest printed no result (VM: %v); serial log in %s", runErr, filepath.Join(work, "bench-vm.log"))
}

// saveProfile writes the guest's CPU profile (base64 lines in the serial log) to path, if it printed one.
func saveProfile(log, path string) error {
	var enc strings.Builder
	for _, line := range strings.Split(log, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), guestProfilePrefix); ok {
			enc.WriteString(rest)
		}
	}
	if enc.Len() == 0 {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(enc.String())
	if err != nil {
		return fmt.Errorf("the guest's CPU profile: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}

// lineWriter shows the guest's lines on the progress bar.
type lineWriter struct{ say func(string) }

func (w lineWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "slicelb-bench-guest") {
			w.say(l)
		}
	}
	return len(p), nil
}

var _ io.Writer = lineWriter{}
