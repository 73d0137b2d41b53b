// Package agent is slicelb-node's I/O core: it watches Services, EndpointSlices and its own Node
// through a controller-runtime cache, coalesces their events with a bounded-frequency runner, and on
// each run hands a snapshot to the pure proxier, diffs its desired state against the kernel (IPVS,
// the dummy interface slicelb0, the nftables masquerade table, UDP conntrack) and writes only the
// difference. It also serves the node's metrics and health check and prints the programmed table.
//
// The split follows DESIGN.md's "compute, then apply": every decision lives in dataplane/proxier;
// this package only reads, calls it, applies the plan and records what happened.
package agent
