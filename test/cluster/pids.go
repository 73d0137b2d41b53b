package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pidsFile lists the detached processes, one "NAME PID STARTTIME" line each, oldest first.
// STARTTIME (field 22 of /proc/PID/stat, in clock ticks since boot) tells a recycled pid apart
// from ours, so StopDir never signals a process it did not start.
const pidsFile = "pids"

// pidEntry is one recorded process.
type pidEntry struct {
	Name  string
	Pid   int
	Start uint64
}

// procStat is what /proc/PID/stat says about a process.
type procStat struct {
	State byte   // R, S, D, Z, ...
	Ppid  int    // parent pid
	Start uint64 // start time in clock ticks since boot
}

// readStat parses /proc/PID/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) is parenthesised and may hold spaces: parse after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if i < 0 || len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	st := procStat{State: f[0][0]}
	if st.Ppid, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, err
	}
	st.Start, err = strconv.ParseUint(f[19], 10, 64)
	return st, err
}

// alive reports whether the recorded process still runs (same pid, same start time, not a zombie).
func (e pidEntry) alive() bool {
	st, err := readStat(e.Pid)
	return err == nil && st.Start == e.Start && st.State != 'Z'
}

// recordPid appends a process to Dir/pids.
func recordPid(dir, name string, pid int) error {
	st, err := readStat(pid)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, pidsFile), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %d %d\n", name, pid, st.Start)
	return errors.Join(err, f.Close())
}

// recordChildren records this program's child processes whose executable is one of names:
// envtest keeps its exec.Cmd private, so the pids of etcd and kube-apiserver are found in /proc.
func (c *Cluster) recordChildren(names ...string) error {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	found := map[string]bool{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.Ppid != os.Getpid() {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			continue
		}
		for _, n := range names {
			if filepath.Base(exe) == n {
				if err := recordPid(c.Dir, n, pid); err != nil {
					return err
				}
				found[n] = true
			}
		}
	}
	for _, n := range names {
		if !found[n] {
			return fmt.Errorf("could not find the pid of child process %s", n)
		}
	}
	return nil
}

// readPids returns the recorded processes that are still running, oldest first.
func readPids(dir string) ([]pidEntry, error) {
	f, err := os.Open(filepath.Join(dir, pidsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	var out []pidEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e pidEntry
		if _, err := fmt.Sscanf(sc.Text(), "%s %d %d", &e.Name, &e.Pid, &e.Start); err != nil {
			return nil, fmt.Errorf("%s: %q: %w", pidsFile, sc.Text(), err)
		}
		if e.alive() {
			out = append(out, e)
		}
	}
	return out, sc.Err()
}

func pidsOf(es []pidEntry) []int {
	out := make([]int, 0, len(es))
	for _, e := range es {
		out = append(out, e.Pid)
	}
	return out
}

// StopDir stops every process recorded in dir/pids that still runs, newest first (the binaries,
// then the API server, then etcd): SIGTERM, then SIGKILL after 15 s. It removes the pids file and
// leaves the rest of the state directory (logs, kubeconfig) for inspection. No pids file: nothing
// to do.
func StopDir(dir string) error {
	running, err := readPids(dir)
	if err != nil {
		return err
	}
	var errs []error
	for i := len(running) - 1; i >= 0; i-- {
		errs = append(errs, terminate(running[i], 15*time.Second))
	}
	if err := os.Remove(filepath.Join(dir, pidsFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// terminate sends SIGTERM and waits for the process to go; SIGKILL when it does not in time. The
// process is not our child (its parent exited), so liveness is polled in /proc.
func terminate(e pidEntry, grace time.Duration) error {
	if err := syscall.Kill(e.Pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("stopping %s (pid %d): %w", e.Name, e.Pid, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !e.alive() {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := syscall.Kill(e.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("killing %s (pid %d): %w", e.Name, e.Pid, err)
	}
	return nil
}
