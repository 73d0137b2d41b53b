package agent

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// writer applies one sync's writes, counting each in the metrics and collecting failures instead
// of stopping at the first: one bad virtual server must not keep every other Service unprogrammed.
type writer struct {
	metrics *Metrics
	log     logger
	writes  int
	errs    []error
}

func newWriter(m *Metrics, l logger) *writer { return &writer{metrics: m, log: l} }

// record counts one attempted write of kind op.
func (w *writer) record(op string, err error) {
	w.writes++
	w.metrics.NetlinkWrites.WithLabelValues(op).Inc()
	if err != nil {
		w.fail(op, err)
	}
}

func (w *writer) fail(op string, err error) {
	w.metrics.NetlinkErrors.WithLabelValues(op).Inc()
	w.errs = append(w.errs, fmt.Errorf("%s: %w", op, err))
	w.log.Error(err, "Failed a kernel write; the next sync retries it", "op", op)
}

// do runs a check-and-maybe-write call whose writes the port does not report (device, sysctls):
// only its failures are counted.
func (w *writer) do(op string, fn func() error) {
	if err := fn(); err != nil {
		w.fail(op, err)
	}
}

func (w *writer) result() Result { return Result{Writes: w.writes, Errors: len(w.errs)} }

func (w *writer) err() error { return errors.Join(w.errs...) }

// syncAddresses makes slicelb0 hold exactly want; each added or removed address is one write.
func (w *writer) syncAddresses(n netif.Interface, want []netip.Addr) {
	ch, err := n.SyncAddresses(want)
	for range ch.Added {
		w.record("add_address", nil)
	}
	for range ch.Removed {
		w.record("delete_address", nil)
	}
	if err != nil {
		w.record("sync_addresses", err)
	}
}

// opNames label netlink_writes_total / netlink_errors_total per IPVS operation.
var opNames = map[proxier.OpKind]string{
	proxier.OpAddVirtualServer:    "add_virtual_server",
	proxier.OpUpdateVirtualServer: "update_virtual_server",
	proxier.OpDeleteVirtualServer: "delete_virtual_server",
	proxier.OpAddRealServer:       "add_real_server",
	proxier.OpUpdateRealServer:    "update_real_server",
	proxier.OpDeleteRealServer:    "delete_real_server",
}

// applyOps applies the plan's IPVS ops in order and returns the owned virtual servers that exist
// afterwards. Real-server ops under a virtual server whose creation failed are skipped (they
// would fail too); the next sync plans them again.
func (w *writer) applyOps(h ipvs.Interface, ops []proxier.Op, current ipvs.Table, owned proxier.Ownership) (map[ipvs.VirtualServerKey]bool, map[proxier.DrainKey]bool) {
	remaining := map[ipvs.VirtualServerKey]bool{}
	for _, e := range current {
		if k := e.VirtualServer.Key(); owned.Owns(k) {
			remaining[k] = true
		}
	}
	removed := map[proxier.DrainKey]bool{}
	failedVS := map[ipvs.VirtualServerKey]bool{}
	for _, op := range ops {
		key := op.VirtualServer.Key()
		if failedVS[key] && (op.Kind == proxier.OpAddRealServer || op.Kind == proxier.OpUpdateRealServer) {
			continue
		}
		err := op.Apply(h)
		w.record(opNames[op.Kind], err)
		if err != nil {
			if op.Kind == proxier.OpAddVirtualServer {
				failedVS[key] = true
			}
			continue
		}
		switch op.Kind {
		case proxier.OpAddVirtualServer:
			remaining[key] = true
		case proxier.OpDeleteVirtualServer:
			delete(remaining, key)
			removed[proxier.DrainKey{VirtualServer: key}] = true
		case proxier.OpDeleteRealServer:
			removed[proxier.DrainKey{VirtualServer: key, RealServer: op.RealServer.AddrPort()}] = true
		}
	}
	return remaining, removed
}

// flushConntrack deletes the UDP conntrack entries of real servers the ops removed: UDP has no
// connection end, so without this a client keeps sending to a gone endpoint until the entry
// times out (kube-proxy does the same after each sync).
func (w *writer) flushConntrack(ct Conntrack, removedUDP []proxier.UDPRemoval, removed map[proxier.DrainKey]bool) {
	if ct == nil {
		return
	}
	for _, r := range removedUDP {
		if !removed[proxier.DrainKey(r)] &&
			!removed[proxier.DrainKey{VirtualServer: r.VirtualServer}] {
			continue // its delete failed: flushed once a later sync removes it
		}
		w.record("flush_conntrack", ct.ClearUDP(r.VirtualServer, r.RealServer))
	}
}
