package agent

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// Cleanup removes everything the agent owns — the virtual servers on VIPs bound to slicelb0 and
// the NodePort virtual servers on nodeAddresses in the NodePort range (the proxier's cleanup
// plan), its nftables table, and slicelb0 with its VIPs — and nothing else: a virtual server
// someone else created survives (kube-proxy's cleanup deletes every virtual server it finds).
//
// slicelb0 is deleted only when every owned virtual server is gone: its VIP routes are the
// ownership mark, and removing them first would orphan a virtual server no later run could claim.
func (s *Syncer) Cleanup(ctx context.Context, nodeAddresses []netip.Addr) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := newWriter(s.metrics, log.FromContext(ctx))

	bound, err := s.opts.Netif.Addresses()
	if err != nil {
		return w.result(), fmt.Errorf("listing the VIPs on slicelb0: %w", err)
	}
	owned := proxier.NewOwnership(bound, nodeAddresses, s.opts.NodePortRange)
	current, err := ipvs.ReadTable(s.opts.IPVS, owned.Owns)
	if err != nil {
		return w.result(), fmt.Errorf("reading IPVS: %w", err)
	}
	plan := proxier.PlanCleanup(current, owned)
	s.cache = nil // the next Sync, if any, reads the kernel
	remaining, removed := w.applyOps(s.opts.IPVS, plan.Ops, current, owned, func(proxier.Op, error) {})
	w.flushConntrack(s.opts.Conntrack, plan.RemovedUDP, removed)
	if s.opts.NAT != nil {
		w.record("delete_nat_table", s.opts.NAT.Cleanup())
	}
	if len(remaining) == 0 {
		w.record("delete_device", s.opts.Netif.DeleteDevice())
	} else {
		w.fail("delete_device", errors.New("owned virtual servers remain; slicelb0 kept as their ownership mark"))
	}
	s.draining = nil
	res := w.result()
	res.VirtualServers = len(remaining)
	s.metrics.VirtualServers.Set(float64(len(remaining)))
	return res, w.err()
}
