package dpbench

import (
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// Cached is the proposed read strategy: read the kernel once (at start and on a periodic full
// resync), then plan every event-driven sync against the table as last programmed, updated from
// the ops that succeeded. A no-op sync then costs no netlink round trip at all, and a one-endpoint
// change costs only its writes, instead of one real-server dump per virtual server.
type Cached struct {
	H        ipvs.Interface
	NodeName string
	table    map[ipvs.VirtualServerKey]*ipvs.Entry
	draining map[proxier.DrainKey]time.Time
}

// Resync reads the whole kernel table into the cache (the only reads this strategy makes).
func (c *Cached) Resync() error {
	t, err := ipvs.ReadTable(c.H, nil)
	if err != nil {
		return err
	}
	c.table = make(map[ipvs.VirtualServerKey]*ipvs.Entry, len(t))
	for i := range t {
		e := t[i]
		c.table[e.VirtualServer.Key()] = &e
	}
	return nil
}

// Sync plans w against the cache, applies the plan, and folds the successful ops into the cache.
// It returns the number of writes and the first write error.
func (c *Cached) Sync(w World, now time.Time) (int, error) {
	desired := proxier.BuildDesired(proxier.Input{Services: w.Services, Slices: w.Slices,
		Node: proxier.Node{Name: c.NodeName}, Options: proxier.Options{Scheduler: proxier.DefaultScheduler}})
	plan := proxier.PlanSync(proxier.SyncInput{Desired: desired, Current: c.Table(), BoundAddresses: desired.BindAddresses,
		Draining: c.draining, Now: now})
	errs := proxier.ApplyOps(c.H, plan.Ops)
	var first error
	for i, op := range plan.Ops {
		if errs[i] != nil {
			// A failed write leaves the cache unsure of the kernel: the next full resync repairs it.
			if first == nil {
				first = errs[i]
			}
			continue
		}
		c.fold(op)
	}
	c.draining = plan.Draining
	return len(plan.Ops), first
}

// Table is the cache as an ipvs.Table, sorted as ReadTable returns it.
func (c *Cached) Table() ipvs.Table {
	t := make(ipvs.Table, 0, len(c.table))
	for _, e := range c.table {
		t = append(t, *e)
	}
	t.Sort()
	return t
}

// fold applies one successful op to the cache.
func (c *Cached) fold(op proxier.Op) {
	key := op.VirtualServer.Key()
	switch op.Kind {
	case proxier.OpAddVirtualServer, proxier.OpUpdateVirtualServer:
		if e, ok := c.table[key]; ok {
			e.VirtualServer = op.VirtualServer
			return
		}
		c.table[key] = &ipvs.Entry{VirtualServer: op.VirtualServer}
	case proxier.OpDeleteVirtualServer:
		delete(c.table, key)
	case proxier.OpAddRealServer, proxier.OpUpdateRealServer:
		e, ok := c.table[key]
		if !ok {
			return
		}
		rss := make([]ipvs.RealServer, 0, len(e.RealServers)+1)
		for _, rs := range e.RealServers {
			if rs.AddrPort() != op.RealServer.AddrPort() {
				rss = append(rss, rs)
			}
		}
		e.RealServers = append(rss, op.RealServer)
		ipvs.SortRealServers(e.RealServers)
	case proxier.OpDeleteRealServer:
		if e, ok := c.table[key]; ok {
			rss := e.RealServers[:0:0]
			for _, rs := range e.RealServers {
				if rs.AddrPort() != op.RealServer.AddrPort() {
					rss = append(rss, rs)
				}
			}
			e.RealServers = rss
		}
	}
}
