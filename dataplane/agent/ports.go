package agent

import (
	"net/netip"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// NAT is the masquerade port the Syncer drives (dataplane/nat implements it). The agent owns one
// nftables table; Sync replaces its content in one transaction when it differs from what is
// desired, so a no-op sync writes nothing.
type NAT interface {
	// Sync makes the table masquerade traffic to the given virtual servers (external VIPs with
	// externalTrafficPolicy Cluster) and hairpin traffic (a pod reaching itself through a VIP).
	// changed reports whether it wrote.
	Sync(masquerade []ipvs.VirtualServerKey, hairpin []proxier.Hairpin) (changed bool, err error)
	// Cleanup deletes the agent's table, and nothing else.
	Cleanup() error
}

// Conntrack is the UDP conntrack port (dataplane/conntrack implements it).
type Conntrack interface {
	// ClearUDP deletes the UDP conntrack entries from the virtual server vs to the real server rs.
	ClearUDP(vs ipvs.VirtualServerKey, rs netip.AddrPort) error
}

// syncNAT applies the desired masquerade rules; an nftables transaction that changed the table
// counts as one write.
func (w *writer) syncNAT(n NAT, d *proxier.DesiredState) {
	changed, err := n.Sync(d.Masquerade, d.Hairpin)
	if changed || err != nil {
		w.record("sync_nat", err)
	}
}
