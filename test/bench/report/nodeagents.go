package report

// NodeAgentsBench is the end-to-end node-agent comparison: kube-proxy (IPVS mode) and slicelb-node
// in one VM boot, one after the other, against the same Services and EndpointSlices on a local
// control plane.
type NodeAgentsBench struct {
	VirtualServers int    `json:"virtualServers"`
	RealServers    int    `json:"realServersPerVS"`
	Accel          string `json:"accel,omitempty"`
	CPUs           int    `json:"cpus"`
	MemoryMB       int    `json:"memoryMB"`
	// SyncPeriod is both agents' periodic sync (kube-proxy --ipvs-sync-period, slicelb-node
	// --sync-period); the no-op step is one such sync.
	SyncPeriod string `json:"syncPeriod"`
	// HarnessSeconds is how long the harness took to create the objects.
	HarnessSeconds float64      `json:"harnessSeconds"`
	Agents         []AgentBench `json:"agents"`
	// Error is set when the scenario could not run at all (no VM, no control plane).
	Error string `json:"error,omitempty"`
}

// IssueVirtualServers is the issue's workload size (Services, each one virtual server).
const IssueVirtualServers = 10000

// Agent names in NodeAgentsBench.
const (
	AgentKubeProxy = "kube-proxy"
	AgentSlicelb   = "slicelb-node"
)

// AgentBench is one agent's figures.
type AgentBench struct {
	Agent   string   `json:"agent"`
	Version string   `json:"version,omitempty"`
	Args    []string `json:"args"`
	// Steps are the full sync, the endpoint change and the no-op sync, in that order.
	Steps []AgentStep `json:"steps,omitempty"`
	// PeakRSSMiB is VmHWM of the agent's process at the end of the timed pass.
	PeakRSSMiB float64 `json:"peakRSSMiB"`
	// NetlinkCounted says whether the netlink counts (from the separate counting pass) exist;
	// NetlinkNote says why not, or what limits them.
	NetlinkCounted bool   `json:"netlinkCounted"`
	NetlinkNote    string `json:"netlinkNote,omitempty"`
	// Cleanup is the cleanup command's outcome after the agent's passes.
	Cleanup string `json:"cleanup,omitempty"`
	// Error is the exact error when the agent could not be measured (with its last log lines).
	Error string `json:"error,omitempty"`
}

// AgentStep is one step of the node-agent scenario.
type AgentStep struct {
	Name string `json:"name"`
	// WallMs: full sync, the agent's start → every virtual server and real server in the kernel;
	// change, the harness's EndpointSlice update sent → the new real server in the kernel; no-op,
	// the agent's own duration of its periodic sync (there is nothing for the kernel to show).
	WallMs float64 `json:"wallMs"`
	// SyncSeconds and Syncs are the agent's own sync-duration metric over the step (sum, count).
	SyncSeconds float64 `json:"syncSeconds"`
	Syncs       int     `json:"syncs"`
	// NetlinkWrites and NetlinkReads are the netlink requests the guest's kernel received during
	// the step in the separate counting pass (its nlmon tap: rtnetlink, generic netlink for IPVS,
	// nfnetlink for ipset and nftables, from the agent and every program it ran): writes change
	// something (each message of a batch counts), reads are dumps and gets. -1 when not counted.
	NetlinkWrites int `json:"netlinkWrites"`
	NetlinkReads  int `json:"netlinkReads"`
	// NetlinkReplies are the skbs the kernel delivered to the processes (one recvmsg each: replies,
	// ACKs, dump chunks, events), NetlinkReplyMessages the messages in them.
	NetlinkReplies       int `json:"netlinkReplies,omitempty"`
	NetlinkReplyMessages int `json:"netlinkReplyMessages,omitempty"`
	// CountingPassSyncs is how many syncs the agent ran during the step in the counting pass.
	CountingPassSyncs int `json:"countingPassSyncs,omitempty"`
	// AgentWrites is the agent's own count of kernel writes (slicelb_node_netlink_writes_total);
	// -1 when the agent has no such metric.
	AgentWrites int `json:"agentWrites"`
}

// Step names of the node-agent scenario.
const (
	AgentStepFull   = "full sync"
	AgentStepChange = "one endpoint change"
	AgentStepNoop   = "no-op periodic sync"
)
