// Package dpbench is the dataplane scenario of the benchmark: it builds a node's worth of Services
// and EndpointSlices, drives the node agent's Syncer against the real kernel (inside the VM), counts
// every IPVS netlink read and write through a wrapper, and compares a cached-state planner (trust
// the last programmed table between full resyncs) with the agent's read-the-kernel-every-sync one.
package dpbench
