// Package guestapi is what the host side of test/vmnode and the program inside the VM share: the
// guest's configuration file and the control endpoint's paths and replies.
package guestapi

// Paths inside the VM's initramfs.
const (
	ConfigPath        = "/etc/vmnode/config.json"
	NodeKubeconfig    = "/etc/vmnode/node.kubeconfig"
	KubeletKubeconfig = "/etc/vmnode/kubelet.kubeconfig"
	NodeBinary        = "/bin/slicelb-node"
)

// Guest network facts (qemu user-mode networking).
const (
	// NodeIP is the guest's address on qemu's user network; it is the Node's InternalIP.
	NodeIP = "10.0.2.15"
	// HostGateway is qemu's gateway: the host's loopback is reachable as 10.0.2.2:PORT.
	HostGateway = "10.0.2.2"
	// ControlPort is the guest's control endpoint (forwarded from a host loopback port).
	ControlPort = 7000
	// ClientIP is the address of the client namespace the control endpoint sends traffic from.
	ClientIP = "10.0.250.2"
)

// Started starts the guest's first console line, printed once its modules are loaded: a console
// without it means the kernel never ran the guest.
const Started = "slicelb-vmnode: started"

// Ready is the console line the guest prints once its control endpoint serves.
const Ready = "slicelb-vmnode: ready"

// Config is the guest's configuration, baked into the initramfs by the host.
type Config struct {
	// NodeName is the Node object the agent programs and whose pods the kubelet stand-in runs.
	NodeName string `json:"nodeName"`
	// NodeArgs are extra flags of slicelb-node (after --node-name and --kubeconfig).
	NodeArgs []string `json:"nodeArgs,omitempty"`
}

// Control endpoint paths. Query parameters: target=IP:PORT, n=count, path=/hostname.html.
const (
	PathHealthz = "/healthz"
	// PathHTTP makes n HTTP/1.0 GETs (a new connection each) from the client namespace.
	PathHTTP = "/http"
	// PathUDP sends n datagrams (a new socket each) from the client namespace.
	PathUDP = "/udp"
	// PathStatus is `slicelb-node status` (the IPVS table).
	PathStatus = "/status"
	// PathAddresses lists the VIPs local on slicelb0 (its proto-211 local routes and any bound addresses), one a line.
	PathAddresses = "/addresses"
	// PathPods lists the simulated pods, "namespace/name ip" a line.
	PathPods = "/pods"
	// PathKillAgent sends SIGKILL to the running slicelb-node, waits for the restarted one to be
	// ready (its /readyz on AgentProbePort) and answers an AgentKill.
	PathKillAgent = "/kill-agent"
	// PathAgentMetrics is the running slicelb-node's /metrics (Prometheus text), read from
	// 127.0.0.1:AgentMetricsPort: the host passes --metrics-bind-address=127.0.0.1:AgentMetricsPort
	// --metrics-secure=false to enable it.
	PathAgentMetrics = "/agent-metrics"
)

// The agent's ports inside the VM: slicelb-node's default probe port, and the metrics port the
// host enables through NodeArgs.
const (
	AgentProbePort   = 10266
	AgentMetricsPort = 10259
)

// AgentKill is the answer of PathKillAgent.
type AgentKill struct {
	// KilledPID is the slicelb-node process that got SIGKILL; RestartedPID the one that replaced it.
	KilledPID    int `json:"killedPID"`
	RestartedPID int `json:"restartedPID"`
	// StartedMillis is SIGKILL → the restarted process seen running (the old one reaped, the
	// restart delay, the new exec).
	StartedMillis int64 `json:"startedMillis"`
	// DownMillis is SIGKILL → the restarted agent's /readyz answering 200 (its first sync done).
	DownMillis int64 `json:"downMillis"`
}

// Replies is the answer of PathHTTP and PathUDP: one entry per attempt, in order; a failed attempt
// is "error: ..." (the caller decides whether failures are expected).
type Replies struct {
	Replies []string `json:"replies"`
}
