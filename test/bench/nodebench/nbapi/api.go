// Package nbapi is what the node-agent bench's host side (test/bench/nodebench) and its program
// inside the VM share: the configuration baked into the initramfs, the control endpoint's paths
// and its replies.
package nbapi

// Paths inside the VM's initramfs.
const (
	ConfigPath     = "/etc/nodebench/config.json"
	Kubeconfig     = "/etc/nodebench/kubeconfig"
	KubeProxy      = "/bin/kube-proxy"
	SlicelbNode    = "/bin/slicelb-node"
	ControlPort    = 7000
	StartedLine    = "slicelb-nodebench: started"
	KubeProxyName  = "kube-proxy"
	SlicelbNodeKey = "slicelb-node"
)

// Metrics ports of the two agents inside the VM (loopback only).
const (
	KubeProxyMetricsPort = 10249
	SlicelbMetricsPort   = 10259
)

// Config is the guest's configuration.
type Config struct {
	// VirtualServers and RealServers are what a full sync must leave in the kernel: this many
	// virtual servers on Port (TCP), each with RealServers real servers of weight > 0.
	VirtualServers int    `json:"virtualServers"`
	RealServers    int    `json:"realServers"`
	Port           uint16 `json:"port"`
	// Args are each agent's command line (after its binary), by agent name.
	Args map[string][]string `json:"args"`
	// CleanupArgs are each agent's cleanup command line.
	CleanupArgs map[string][]string `json:"cleanupArgs"`
}

// Control endpoint paths. An agent is named by the query parameter agent (KubeProxyName or
// SlicelbNodeKey).
const (
	PathHealthz = "/healthz"
	// PathStart starts the agent and answers at once with a Started.
	PathStart = "/start"
	// PathWaitFull answers a Waited once the kernel holds the full table, or an error (with the
	// agent's log tail) when the agent exits or timeout=SECONDS passes.
	PathWaitFull = "/wait-full"
	// PathWaitReal answers a Waited once real server rs=IP:PORT has weight > 0 under the virtual
	// server vip=IP (TCP, Config.Port).
	PathWaitReal = "/wait-real"
	// PathMetrics is the running agent's Prometheus text.
	PathMetrics = "/metrics"
	// PathNetlink is the netlink traffic counted so far (a NetlinkCount); enable=1 or enable=0
	// first turns the counting tap on or off.
	PathNetlink = "/netlink"
	// PathStop stops the agent (SIGTERM, SIGKILL after 30 s) and answers a Stopped.
	PathStop = "/stop"
	// PathCleanup runs the agent's cleanup command and answers a Cleaned; with flush=1 the guest
	// then deletes whatever IPVS state is left.
	PathCleanup = "/cleanup"
)

// Started is the answer of PathStart.
type Started struct {
	PID int `json:"pid"`
}

// Waited is the answer of PathWaitFull and PathWaitReal.
type Waited struct {
	// Millis is from the agent's start (PathWaitFull) or from the request (PathWaitReal) until the
	// kernel showed the state.
	Millis float64 `json:"millis"`
	// Polls is how many times the guest read the kernel.
	Polls int `json:"polls"`
}

// NetlinkCount counts the netlink traffic the guest's kernel passed, as its nlmon tap saw it.
// Writes are requests to the kernel that change something (add, update, delete; each message of
// a batch counts), Reads are read requests (dumps and gets), Replies are skbs delivered to
// processes (one recvmsg each: replies, ACKs, dump chunks, events) and ReplyMessages the messages
// in them. Dropped skbs were lost by the counting socket and Truncated were only partly read: a
// count with either is a lower bound.
type NetlinkCount struct {
	Writes        int `json:"writes"`
	Reads         int `json:"reads"`
	Replies       int `json:"replies"`
	ReplyMessages int `json:"replyMessages"`
	Dropped       int `json:"dropped"`
	Truncated     int `json:"truncated"`
}

// Stopped is the answer of PathStop.
type Stopped struct {
	// PeakRSSKiB is VmHWM of the agent's process, read just before the SIGTERM.
	PeakRSSKiB int `json:"peakRSSKiB"`
	// Exit is how the process ended.
	Exit string `json:"exit"`
	// LogTail is the agent's last output lines.
	LogTail string `json:"logTail"`
}

// Cleaned is the answer of PathCleanup.
type Cleaned struct {
	Output string `json:"output"`
	Err    string `json:"error,omitempty"`
	// VirtualServersLeft is the IPVS table's size after the command.
	VirtualServersLeft int `json:"virtualServersLeft"`
	// Flushed says what the guest removed itself afterwards (query flush=1), if anything.
	Flushed string `json:"flushed,omitempty"`
}
