package main

import (
	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/ipvs"
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
