package ctrlbench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Contender is how to start one controller under test.
type Contender struct {
	// Name is "slicelb" or "upstream".
	Name  string
	Path  string
	QPS   float64
	Burst int
	// SetQPS says whether QPS/Burst are passed as flags; when false the binary's own defaults apply
	// (QPS/Burst then only describe them in the results).
	SetQPS bool
	// ExtraArgs are appended to the flags (e.g. a profiling endpoint while investigating).
	ExtraArgs []string
	// Env are extra environment variables ("NAME=value", e.g. GOGC).
	Env []string
}

// args are the command-line flags for the contender against kubeconfig.
func (c Contender) args(kubeconfig string) []string {
	var a []string
	switch c.Name {
	case "upstream":
		// Only the three endpoint controllers; no serving port, no leader election, one client
		// identity: the same shape as slicelb-controller.
		a = []string{"--kubeconfig=" + kubeconfig,
			"--controllers=endpoints-controller,endpointslice-controller,endpointslice-mirroring-controller",
			"--leader-elect=false", "--use-service-account-credentials=false", "--secure-port=0", "-v=1"}
	default:
		// Probes and metrics off: ports would collide with other processes on a shared machine.
		a = []string{"--kubeconfig=" + kubeconfig, "--health-probe-bind-address=0", "--metrics-bind-address=0"}
	}
	if c.SetQPS {
		a = append(a, fmt.Sprintf("--kube-api-qps=%g", c.QPS), fmt.Sprintf("--kube-api-burst=%d", c.Burst))
	}
	return append(a, c.ExtraArgs...)
}

// Process is a running contender.
type Process struct {
	cmd  *exec.Cmd
	done chan error
}

// Start runs the contender with its output in logPath.
func (c Contender) Start(kubeconfig, logPath string) (*Process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.Path, c.args(kubeconfig)...)
	// The harness's own GOGC/GOMEMLIMIT must not leak into a contender: it gets its defaults
	// unless Env sets them.
	cmd.Env = append(withoutGCSettings(os.Environ()), "KUBECONFIG="+kubeconfig)
	cmd.Env = append(cmd.Env, c.Env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("starting %s: %w", c.Path, err)
	}
	p := &Process{cmd: cmd, done: make(chan error, 1)}
	go func() {
		p.done <- cmd.Wait()
		_ = log.Close()
	}()
	return p, nil
}

// Exited returns the exit error if the process has ended, nil while it runs.
func (p *Process) Exited() error {
	select {
	case err := <-p.done:
		p.done <- err
		if err == nil {
			err = errors.New("exited with status 0")
		}
		return err
	default:
		return nil
	}
}

// Stop sends SIGTERM, then SIGKILL after 10 s.
func (p *Process) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		err := <-p.done
		p.done <- err
	}
}

// Stats are read from /proc while the process runs.
type Stats struct {
	PeakRSSMiB float64
	CPUSeconds float64
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux).
const clockTicks = 100

// ReadStats reads VmHWM from /proc/PID/status and utime+stime from /proc/PID/stat.
func (p *Process) ReadStats() (Stats, error) {
	return ReadProcStats(p.cmd.Process.Pid)
}

// ReadProcStats reads VmHWM and utime+stime of pid.
func ReadProcStats(pid int) (Stats, error) {
	var s Stats
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			s.PeakRSSMiB = kb / 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	cpu, err := ParseCPU(string(stat))
	s.CPUSeconds = cpu
	return s, err
}

// ParseCPU returns utime+stime in seconds from the text of /proc/PID/stat. The command name
// (field 2) may contain spaces, so fields are counted after its closing parenthesis.
func ParseCPU(stat string) (float64, error) {
	i := strings.LastIndex(stat, ")")
	if i < 0 {
		return 0, errors.New("no command name in stat")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (u + st) / clockTicks, nil
}

// withoutGCSettings drops GOGC and GOMEMLIMIT from env.
func withoutGCSettings(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			out = append(out, kv)
		}
	}
	return out
}
