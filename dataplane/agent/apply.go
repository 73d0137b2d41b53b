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

func (w *writer) err() error {
	if len(w.errs) == 0 {
		return nil
	}
	return &PartialSyncError{Failed: len(w.errs), Err: errors.Join(w.errs...)}
}

// PartialSyncError is what Sync returns when it ran to its end but some kernel writes failed:
// everything else is programmed, and the runner retries the rest with backoff. It is not a sign
// of a wedged agent (one Service the kernel refuses must not make /healthz fail and the node
// agent crash-loop), unlike a failed kernel read, which aborts the sync.
type PartialSyncError struct {
	Failed int
	Err    error
}

func (e *PartialSyncError) Error() string {
	return fmt.Sprintf("%d kernel writes failed: %v", e.Failed, e.Err)
}

// Unwrap exposes the individual write errors to errors.Is / errors.As.
func (e *PartialSyncError) Unwrap() error { return e.Err }

// SyncCompleted reports whether a Sync with this result error ran to its end (possibly with some
// failed writes): the agent's liveness is measured by completed syncs.
func SyncCompleted(err error) bool {
	var partial *PartialSyncError
	return err == nil || errors.As(err, &partial)
}

// syncAddresses makes slicelb0 hold exactly want; each added or removed VIP (a local route) is one
// write. The metric labels keep their names from when VIPs were addresses.
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
// afterwards and what was removed. The ops go to the kernel in two batches (netlink sends
// hundreds of writes per system call, see proxier.ApplyOps): first the virtual servers to add or
// update, then everything else minus the real-server writes under a virtual server whose
// creation failed (they would fail too; the next sync plans them again).
// applied is told the result of every op.
func (w *writer) applyOps(h ipvs.Interface, ops []proxier.Op, current ipvs.Table, owned proxier.Ownership,
	applied func(proxier.Op, error)) (map[ipvs.VirtualServerKey]bool, map[proxier.DrainKey]bool) {
	remaining := map[ipvs.VirtualServerKey]bool{}
	for _, e := range current {
		if k := e.VirtualServer.Key(); owned.Owns(k) {
			remaining[k] = true
		}
	}
	removed := map[proxier.DrainKey]bool{}
	failedVS := map[ipvs.VirtualServerKey]bool{}
	apply := func(batch []proxier.Op) {
		if len(batch) == 0 {
			return // not even an empty batch: a no-op sync makes no system call
		}
		for i, err := range proxier.ApplyOps(h, batch) {
			op := batch[i]
			key := op.VirtualServer.Key()
			w.record(opNames[op.Kind], err)
			applied(op, err)
			switch {
			case err != nil && op.Kind == proxier.OpAddVirtualServer:
				failedVS[key] = true
			case err != nil:
			case op.Kind == proxier.OpAddVirtualServer:
				remaining[key] = true
			case op.Kind == proxier.OpDeleteVirtualServer:
				delete(remaining, key)
				removed[proxier.DrainKey{VirtualServer: key}] = true
			case op.Kind == proxier.OpDeleteRealServer:
				removed[proxier.DrainKey{VirtualServer: key, RealServer: op.RealServer.AddrPort()}] = true
			}
		}
	}
	n := 0 // the plan puts virtual-server adds and updates first
	for n < len(ops) && (ops[n].Kind == proxier.OpAddVirtualServer || ops[n].Kind == proxier.OpUpdateVirtualServer) {
		n++
	}
	apply(ops[:n])
	rest := make([]proxier.Op, 0, len(ops)-n)
	for _, op := range ops[n:] {
		if failedVS[op.VirtualServer.Key()] && (op.Kind == proxier.OpAddRealServer || op.Kind == proxier.OpUpdateRealServer) {
			continue
		}
		rest = append(rest, op)
	}
	apply(rest)
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
