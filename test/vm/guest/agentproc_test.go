package guest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	gosync "sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
)

// The VM has no API server, so a node agent that must die by SIGKILL runs as this same guest
// binary re-executed with agentProcessEnv set: it reads one Snapshot (JSON) from stdin and then
// does what slicelb-node's sync loop does — a Syncer on the node's real kernel ports with the kernel
// table cache on, synced every agentProcessPeriod — printing one line per sync. Killing it is
// killing a node agent mid-loop: the process, its netlink sockets and any write in flight die.
const (
	agentProcessEnv    = "SLICELB_GUEST_AGENT_PROCESS"
	agentProcessPeriod = 250 * time.Millisecond
	agentSyncLine      = "agent-process: synced"
)

// agentProcess runs the agent mode when this process was started as one; ok is false otherwise
// (TestMain then runs the suite).
func agentProcess() (code int, ok bool) {
	if os.Getenv(agentProcessEnv) == "" {
		return 0, false
	}
	if err := runAgentProcess(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "agent-process: %v\n", err)
		return 1, true
	}
	return 0, true
}

func runAgentProcess(in io.Reader, out io.Writer) error {
	var w wireSnapshot
	if err := json.NewDecoder(in).Decode(&w); err != nil {
		return fmt.Errorf("reading the snapshot: %w", err)
	}
	snap := agent.Snapshot{Services: w.Services, Slices: w.Slices, Node: w.Node}
	h, err := ipvs.NewNetlink("")
	if err != nil {
		return err
	}
	ni, err := netif.New(netif.Options{})
	if err != nil {
		return err
	}
	nt, err := nat.New(netns.None())
	if err != nil {
		return err
	}
	ct, err := conntrack.New(netns.None())
	if err != nil {
		return err
	}
	s, err := agent.NewSyncer(agent.SyncerOptions{IPVS: h, Netif: ni, NAT: nt, Conntrack: ct, NodeName: nodeName,
		FullResyncPeriod: 30 * time.Second}) // slicelb-node's default --sync-period
	if err != nil {
		return err
	}
	for i := 0; ; i++ {
		res, err := s.Sync(context.Background(), snap, time.Now())
		if err != nil && !agent.SyncCompleted(err) {
			return err
		}
		// The suite reading these lines is gone: so is the reason to run.
		if _, err := fmt.Fprintf(out, "%s n=%d writes=%d errors=%d\n", agentSyncLine, i, res.Writes, res.Errors); err != nil {
			return err
		}
		time.Sleep(agentProcessPeriod)
	}
}

// wireSnapshot is the part of agent.Snapshot the agent process needs (Policies' struct keys have
// no JSON form).
type wireSnapshot struct {
	Services []*corev1.Service
	Slices   []*discoveryv1.EndpointSlice
	Node     *corev1.Node
}

// agentProc is a running agent process seen from the suite.
type agentProc struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan error
	once  gosync.Once
	end   string
}

// startAgentProcess starts an agent process on snap and waits for its first sync, whose kernel
// writes it returns.
func startAgentProcess(snap agent.Snapshot) (*agentProc, int) {
	GinkgoHelper()
	Expect(snap.Policies).To(BeNil(), "the agent process takes no policies")
	b, err := json.Marshal(wireSnapshot{Services: snap.Services, Slices: snap.Slices, Node: snap.Node})
	Expect(err).NotTo(HaveOccurred())
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = append(os.Environ(), agentProcessEnv+"=1")
	cmd.Stdin = strings.NewReader(string(b))
	cmd.Stderr = GinkgoWriter
	stdout, err := cmd.StdoutPipe()
	Expect(err).NotTo(HaveOccurred())
	Expect(cmd.Start()).To(Succeed())
	p := &agentProc{cmd: cmd, lines: make(chan string, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody reads the later syncs' lines
			}
		}
		p.done <- cmd.Wait()
	}()
	running = append(running, p)
	var line string
	Eventually(p.lines).WithTimeout(60*time.Second).Should(Receive(&line), "the agent process never synced")
	var n, writes, errs int
	_, err = fmt.Sscanf(line, agentSyncLine+" n=%d writes=%d errors=%d", &n, &writes, &errs)
	Expect(err).NotTo(HaveOccurred(), "line %q", line)
	Expect(errs).To(BeZero())
	return p, writes
}

// running are the agent processes the current spec started.
var running []*agentProc

// killAgentProcesses kills every agent process still running (an AfterEach before cleanupAgent).
func killAgentProcesses() {
	for _, p := range running {
		p.kill()
	}
	running = nil
}

// kill sends SIGKILL and waits for the process to be gone; it returns how it ended.
func (p *agentProc) kill() string {
	p.once.Do(func() {
		// An already exited process makes Signal fail; done then holds how it ended.
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case err := <-p.done:
			p.end = "exit status 0"
			if err != nil {
				p.end = err.Error()
			}
		case <-time.After(30 * time.Second):
			p.end = "still running 30s after SIGKILL"
		}
	})
	return p.end
}

// syncs drains the sync lines printed so far and returns how many there were.
func (p *agentProc) syncs() int {
	n := 0
	for {
		select {
		case <-p.lines:
			n++
		default:
			return n
		}
	}
}
