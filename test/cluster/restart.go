package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errAttached is returned by the API server controls of a cluster this program did not start.
var errAttached = errors.New("the API server of an attached cluster is not controlled by this program")

// apiserverStopGrace is how long StopAPIServer waits after SIGTERM before SIGKILL. kube-apiserver
// stops listening at once on SIGTERM but its process can linger for half a minute on open
// watches; what clients see (refused connections) is the same either way.
const apiserverStopGrace = 5 * time.Second

// StopAPIServer stops kube-apiserver (SIGTERM, SIGKILL after a few seconds) and leaves etcd
// running. Clients see refused connections until StartAPIServer.
func (c *Cluster) StopAPIServer() error {
	if c.plane == nil {
		return errAttached
	}
	// envtest's own Stop waits the StopTimeout fixed at start (30 s here) before SIGKILL, so the
	// process is found by its unique --cert-dir and signalled here first.
	if pid, ok := apiserverPid(filepath.Join(c.Dir, apiserverDir)); ok {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		deadline := time.Now().Add(apiserverStopGrace)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	return c.plane.APIServer.Stop()
}

// apiserverPid finds the kube-apiserver process whose --cert-dir is certDir.
func apiserverPid(certDir string) (int, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	want := "--cert-dir=" + certDir
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 0 && filepath.Base(args[0]) == "kube-apiserver" && slices.Contains(args, want) {
			return pid, true
		}
	}
	return 0, false
}

// alive reports whether pid still runs (a zombie waiting for envtest's reaper counts as gone).
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows "pid (comm) ": Z is a zombie.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// StartAPIServer starts kube-apiserver again on the same port, with the same etcd, serving
// certificate, client CA and ServiceAccount signing key (all kept in Dir/apiserver), so every
// client — admin certificates and ServiceAccount tokens issued before — keeps working. It returns
// once /healthz answers.
func (c *Cluster) StartAPIServer() error {
	if c.plane == nil {
		return errAttached
	}
	if err := c.plane.APIServer.Start(); err != nil {
		return fmt.Errorf("restarting kube-apiserver (log %s): %w", c.LogPath("kube-apiserver"), err)
	}
	return nil
}

// RestartAPIServer stops kube-apiserver, keeps it down for the given time and starts it again.
func (c *Cluster) RestartAPIServer(down time.Duration) error {
	if err := c.StopAPIServer(); err != nil {
		return err
	}
	time.Sleep(down)
	return c.StartAPIServer()
}
