package cluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcessOptions describe a program to run next to the control plane.
type ProcessOptions struct {
	// Name names the process in logs/NAME.log and in the pids file; when the cluster already
	// started a process of that name, the new one is NAME-2, NAME-3, ... (see Process.Name).
	Name string
	// Path is the executable.
	Path string
	// Args are its arguments (without the program name).
	Args []string
	// Env is added to this program's environment.
	Env []string
}

// Process is a program started by StartProcess.
type Process struct {
	name, logPath string
	cmd           *exec.Cmd
	log           *os.File
	done          chan struct{}

	mu      sync.Mutex
	exitErr error
	exited  bool
}

// StartProcess starts a program with stdout and stderr written to Dir/logs/NAME.log, in its own
// process group (a Ctrl-C on the terminal goes to the caller, which stops it in order). When the
// cluster is detached its pid is recorded so that StopDir stops it too.
func (c *Cluster) StartProcess(o ProcessOptions) (*Process, error) {
	if o.Name == "" || strings.ContainsAny(o.Name, " /") {
		return nil, fmt.Errorf("process name %q: want a non-empty name without spaces or slashes", o.Name)
	}
	name := c.uniqueName(o.Name)
	p := &Process{name: name, logPath: c.LogPath(name), done: make(chan struct{})}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	p.log = f
	p.cmd = exec.Command(o.Path, o.Args...)
	p.cmd.Env = append(os.Environ(), o.Env...)
	// A file, not a pipe: a detached process keeps writing after this program exits.
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go p.wait()
	c.mu.Lock()
	c.procs = append(c.procs, p)
	c.mu.Unlock()
	if c.detached {
		if err := recordPid(c.Dir, name, p.cmd.Process.Pid); err != nil {
			return p, errors.Join(err, p.Stop(time.Second))
		}
	}
	return p, nil
}

// uniqueName is name, or name-2, name-3, ... when this cluster already started a process of that
// name: a restarted binary gets its own log file and the earlier one stays readable.
func (c *Cluster) uniqueName(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	taken := map[string]bool{}
	for _, p := range c.procs {
		taken[p.name] = true
	}
	out := name
	for i := 2; taken[out]; i++ {
		out = fmt.Sprintf("%s-%d", name, i)
	}
	return out
}

func (p *Process) wait() {
	err := p.cmd.Wait()
	p.mu.Lock()
	p.exited, p.exitErr = true, err
	p.mu.Unlock()
	_ = p.log.Close()
	close(p.done)
}

// Name is the process's name.
func (p *Process) Name() string { return p.name }

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// LogPath is the file holding the process's output.
func (p *Process) LogPath() string { return p.logPath }

// Logs returns the process's output so far.
func (p *Process) Logs() (string, error) {
	b, err := os.ReadFile(p.logPath)
	return string(b), err
}

// Exited reports whether the process has exited, and its exit error (nil for status 0).
func (p *Process) Exited() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited, p.exitErr
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Stop sends SIGTERM and waits up to grace for the exit, then SIGKILL. A process that exited by
// itself is not an error of Stop (ask Exited).
func (p *Process) Stop(grace time.Duration) error {
	if exited, _ := p.Exited(); exited {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s: %w", p.name, err)
	}
	<-p.done
	return fmt.Errorf("%s did not stop within %v of SIGTERM and was killed", p.name, grace)
}
