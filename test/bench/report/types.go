package report

import (
	"encoding/json"
	"os"
	"time"
)

// Results is the whole benchmark run, as written to bench/results.json.
type Results struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Quick    bool      `json:"quick"`
	// Host describes the machine: CPU count and the load averages at the start and at the end,
	// because these numbers are taken on shared cores.
	Host       Host            `json:"host"`
	Controller ControllerBench `json:"controller"`
	Dataplane  DataplaneBench  `json:"dataplane"`
	Notes      []string        `json:"notes,omitempty"`

	// NodeAgents is the end-to-end kube-proxy vs slicelb-node comparison (nodeagents.go).
	NodeAgents *NodeAgentsBench `json:"nodeAgents,omitempty"`
}

// Host is what the numbers were measured on.
type Host struct {
	CPUs      int    `json:"cpus"`
	LoadStart string `json:"loadStart"`
	LoadEnd   string `json:"loadEnd"`
	Kernel    string `json:"kernel,omitempty"`
}

// Workload is the controller scenario's size.
type Workload struct {
	Services        int `json:"services"`
	PodsPerService  int `json:"podsPerService"`
	FlipPercent     int `json:"flipPercent"`
	Selectorless    int `json:"selectorless"`
	AddressesPerEPs int `json:"addressesPerEndpoints"`
	Nodes           int `json:"nodes"`
	IdleSeconds     int `json:"idleSeconds"`
}

// ControllerBench is every run of the controller scenario, in the order they ran.
type ControllerBench struct {
	Workload Workload        `json:"workload"`
	Runs     []ControllerRun `json:"runs"`
	// FloorWrites is the minimum number of writes a controller can make: one per object that must
	// change (an Endpoints and a slice per Service, one update each per Service touched by the flip,
	// one slice per selectorless Service).
	FloorWrites int `json:"floorWrites"`
}

// ControllerRun is one contender on one fresh control plane.
type ControllerRun struct {
	Contender string  `json:"contender"` // "slicelb" or "upstream"
	Setting   string  `json:"setting"`   // "own-defaults" or "same-budget"
	QPS       float64 `json:"qps"`
	Burst     int     `json:"burst"`
	Rep       int     `json:"rep"`

	// Seconds from the first harness write of a phase until every expected object matched.
	BulkConvergeSec         float64 `json:"bulkConvergeSec"`
	BulkHarnessSec          float64 `json:"bulkHarnessSec"` // how long the harness itself took to write the bulk
	PodsHarnessSec          float64 `json:"podsHarnessSec"` // creating and readying the pods before the Services (not timed against the contender)
	FlipConvergeSec         float64 `json:"flipConvergeSec"`
	SelectorlessConvergeSec float64 `json:"selectorlessConvergeSec"`
	// Pod readiness change (status write sent) -> the pod's endpoint seen not-ready in a slice.
	ReadyToSliceP50Ms float64 `json:"readyToSliceP50Ms"`
	ReadyToSliceP99Ms float64 `json:"readyToSliceP99Ms"`
	ReadyToSliceN     int     `json:"readyToSliceN"`

	// Writes by "VERB resource[/subresource]" from apiserver_request_total, harness writes subtracted.
	Writes      map[string]int `json:"writes"`
	WritesTotal int            `json:"writesTotal"`
	WritesFlip  int            `json:"writesFlip"`
	WritesBulk  int            `json:"writesBulk"`
	Conflicts   int            `json:"conflicts"` // writes answered 409
	IdleWrites  int            `json:"idleWrites"`

	PeakRSSMiB float64 `json:"peakRSSMiB"`
	CPUSeconds float64 `json:"cpuSeconds"` // from ready to the end of the idle window

	// Timeline is the fraction of expected objects matching, sampled during the bulk phase.
	Timeline []Point `json:"timeline,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// Point is one timeline sample.
type Point struct {
	T    float64 `json:"t"`
	Frac float64 `json:"frac"`
}

// DataplaneBench is the node scenario in the VM.
type DataplaneBench struct {
	VirtualServers int             `json:"virtualServers"`
	RealServers    int             `json:"realServersPerVS"`
	Accel          string          `json:"accel,omitempty"`
	Steps          []DataplaneStep `json:"steps"`
	AgentRSSMiB    float64         `json:"agentRSSMiB"`
	Baseline       string          `json:"baseline"`
	// Calibration times one fixed pure-CPU workload on the host and in the guest, so readers can
	// judge wall times measured under an emulator (TCG) against targets meant for real machines.
	Calibration *Calibration `json:"calibration,omitempty"`
	Error       string       `json:"error,omitempty"`
}

// Calibration is one deterministic workload timed on the host and in the guest in the same run,
// each the smallest of Reps runs: wall time, and CPU time (the host process's getrusage; the
// guest's /proc/stat busy time, which skips the time the host did not run the emulated CPU).
type Calibration struct {
	Workload   string  `json:"workload"`
	Reps       int     `json:"reps"`
	HostMs     float64 `json:"hostMs"`
	GuestMs    float64 `json:"guestMs"`
	HostCPUMs  float64 `json:"hostCPUMs,omitempty"`
	GuestCPUMs float64 `json:"guestCPUMs,omitempty"`
}

// Slowdown is how many times slower the guest ran the workload by wall time (0 when unknown).
func (c *Calibration) Slowdown() float64 {
	if c == nil {
		return 0
	}
	return perUnit(c.GuestMs, c.HostMs)
}

// CPUSlowdown is how many times more CPU time the guest spent on the workload (0 when unknown):
// the emulator's cost with the host's contention taken out on both sides.
func (c *Calibration) CPUSlowdown() float64 {
	if c == nil {
		return 0
	}
	return perUnit(c.GuestCPUMs, c.HostCPUMs)
}

func perUnit(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}

// BusyMs is the guest's busy CPU time over the step (0 when not measured).
func (s DataplaneStep) BusyMs() float64 {
	if s.GuestCPU == nil {
		return 0
	}
	return s.GuestCPU.UserMs + s.GuestCPU.SystemMs + s.GuestCPU.SoftirqMs
}

// DataplaneStep is one sync of the node scenario.
type DataplaneStep struct {
	Name    string  `json:"name"`
	Variant string  `json:"variant"` // the read strategy measured
	WallMs  float64 `json:"wallMs"`
	Writes  int     `json:"writes"` // IPVS netlink commands
	Reads   int     `json:"reads"`  // IPVS netlink dumps: one per ListVirtualServers / ListRealServers
	// AgentWrites is every kernel write the agent counted itself (IPVS, VIPs on slicelb0, sysctls).
	AgentWrites int `json:"agentWrites,omitempty"`
	FloorDiff   int `json:"floorWrites"`
	// Where the wall time went: inside IPVS netlink writes and reads (system calls and the
	// kernel's work for them), inside the VIP device's calls (dump of the VIP routes on slicelb0
	// and their adds/removes, device and sysctl checks); the rest is Go-side planning.
	IPVSWriteMs float64 `json:"ipvsWriteMs,omitempty"`
	IPVSReadMs  float64 `json:"ipvsReadMs,omitempty"`
	DeviceMs    float64 `json:"deviceMs,omitempty"`
	// The guest's CPU time during the step from its /proc/stat (10 ms ticks): user, system and
	// softirq (IPVS rate estimators run from a timer there on kernel 6.1).
	GuestCPU *CPUSplit `json:"guestCPU,omitempty"`
}

// CPUSplit is CPU time by mode, in milliseconds.
type CPUSplit struct {
	UserMs    float64 `json:"userMs"`
	SystemMs  float64 `json:"systemMs"`
	SoftirqMs float64 `json:"softirqMs"`
	IdleMs    float64 `json:"idleMs"`
}

// WriteJSON writes r to path, indented.
func (r *Results) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
