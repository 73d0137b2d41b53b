//go:build linux

// Command slicelb-bench-guest is the VM's init for the benchmark's dataplane scenario: it loads the
// IPVS modules, drives the node agent's Syncer over the real kernel (10,000 virtual servers × 10
// real servers: full sync, one endpoint change, no-op), then the cached-state strategy, and prints
// the measurements as one JSON line before powering the VM off. Built for linux only, like the VM.
package main
