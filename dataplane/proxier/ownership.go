package proxier

import (
	"net/netip"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// Ownership decides which virtual servers slicelb may modify or delete.
//
// IPVS has no place to mark a service as ours, so ownership is read from
// the address: a virtual server is ours when its address is a VIP we hold on
// slicelb0 with a local route of slicelb's protocol (or are about to), or
// when it is a node address and its port is in the NodePort range (the API
// server reserves that range for NodePorts, which we serve). Anything else — another program's virtual
// server on a node address, a firewall-mark service, a VIP on another
// interface — is never touched, unlike kube-proxy, whose cleanup deletes
// every service it did not create in this run.
//
// Consequences of reading ownership from addresses, by design:
//   - a virtual server someone else created on an address we then bind (a
//     cluster IP the API server allocated to a Service) becomes ours;
//   - a desired virtual server on a node address outside the NodePort range
//     (an externalIP or load balancer IP equal to a node IP) is not ownable:
//     PlanSync reports it in Plan.Conflicts and leaves it alone, since it
//     could never tell it apart from someone else's later;
//   - if a node address disappears while NodePort virtual servers on it
//     exist, they stop being ours and stay behind: pass every address the
//     node still has on its interfaces, not only the Node object's.
type Ownership struct {
	vips      map[netip.Addr]bool
	nodes     map[netip.Addr]bool
	nodePorts PortRange
}

// NewOwnership builds the rule from the VIPs held on slicelb0 (plus those
// about to be added), the node's addresses and the NodePort range (zero means
// DefaultNodePortRange).
func NewOwnership(vips, nodeAddresses []netip.Addr, nodePorts PortRange) Ownership {
	o := Ownership{vips: map[netip.Addr]bool{}, nodes: map[netip.Addr]bool{}, nodePorts: nodePorts}
	if o.nodePorts == (PortRange{}) {
		o.nodePorts = DefaultNodePortRange
	}
	for _, a := range vips {
		o.vips[a.Unmap()] = true
	}
	for _, a := range nodeAddresses {
		o.nodes[a.Unmap()] = true
	}
	return o
}

// Owns reports whether the virtual server key is slicelb's.
func (o Ownership) Owns(key ipvs.VirtualServerKey) bool {
	if o.vips[key.Address] {
		return true
	}
	return o.nodes[key.Address] && o.nodePorts.Contains(key.Port)
}
