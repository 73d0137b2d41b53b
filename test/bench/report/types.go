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
	Error          string          `json:"error,omitempty"`
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
}

// WriteJSON writes r to path, indented.
func (r *Results) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
