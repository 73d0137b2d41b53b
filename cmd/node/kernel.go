package main

import (
	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
)

// kernel holds the node's kernel ports, opened in the agent's (host) network namespace.
type kernel struct {
	ipvs      ipvs.Interface
	netif     netif.Interface
	nat       agent.NAT
	conntrack agent.Conntrack
	closers   []func()
}

// close releases the netlink sockets, last opened first.
func (k *kernel) close() {
	for i := len(k.closers) - 1; i >= 0; i-- {
		k.closers[i]()
	}
}

// fakeKernel is --fake-kernel: the in-memory ports the unit tests use, so the binary's API access,
// RBAC, probes and sync loop can run on a host without IPVS (the e2e suite on a developer machine).
func fakeKernel() *kernel {
	return &kernel{ipvs: ipvs.NewFake(), netif: netif.NewFake(), nat: &nat.Fake{}, conntrack: &conntrack.Fake{}}
}

// openPorts opens the kernel ports, or the in-memory ones with --fake-kernel.
func openPorts(opts options) (*kernel, error) {
	if opts.fakeKernel {
		return fakeKernel(), nil
	}
	return openKernel(opts.procSys)
}
