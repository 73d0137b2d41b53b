package agent

import (
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// kernelCache is the IPVS table as the agent last read and then programmed it. Reading the whole
// table costs one real-server dump per virtual server (seconds at 10,000 virtual servers), so
// event-driven syncs plan against this cache and only the full resync (every FullResyncPeriod)
// reads the kernel again, repairing whatever drifted in between. The cache is dropped — and the
// next sync reads the kernel — after any failed IPVS write, since the kernel's state is then
// unknown. Connection counters of draining real servers are re-read every sync: they decide when
// a drain ends.
type kernelCache struct {
	entries map[ipvs.VirtualServerKey]*ipvs.Entry
	readAt  time.Time
}

func newKernelCache(t ipvs.Table, now time.Time) *kernelCache {
	c := &kernelCache{entries: make(map[ipvs.VirtualServerKey]*ipvs.Entry, len(t)), readAt: now}
	for i := range t {
		e := t[i]
		c.entries[e.VirtualServer.Key()] = &e
	}
	return c
}

// table returns the cache as ReadTable would: sorted entries, each with its own slices.
func (c *kernelCache) table() ipvs.Table {
	t := make(ipvs.Table, 0, len(c.entries))
	for _, e := range c.entries {
		t = append(t, *e)
	}
	t.Sort()
	return t
}

// setRealServers replaces a virtual server's real servers with a fresh kernel read.
func (c *kernelCache) setRealServers(key ipvs.VirtualServerKey, rss []ipvs.RealServer) {
	if e, ok := c.entries[key]; ok {
		ipvs.SortRealServers(rss)
		e.RealServers = rss
	}
}

// fold applies one successful op. Slices are replaced, never modified in place, so tables
// returned earlier by table() stay as they were.
func (c *kernelCache) fold(op proxier.Op) {
	key := op.VirtualServer.Key()
	e, ok := c.entries[key]
	switch op.Kind {
	case proxier.OpAddVirtualServer:
		c.entries[key] = &ipvs.Entry{VirtualServer: op.VirtualServer, RealServers: []ipvs.RealServer{}}
	case proxier.OpUpdateVirtualServer:
		if ok {
			e.VirtualServer = op.VirtualServer
		}
	case proxier.OpDeleteVirtualServer:
		delete(c.entries, key)
	case proxier.OpAddRealServer:
		if ok {
			rss := append(without(e.RealServers, op.RealServer), ipvs.RealServer{
				Address: op.RealServer.Address, Port: op.RealServer.Port, Weight: op.RealServer.Weight})
			ipvs.SortRealServers(rss)
			e.RealServers = rss
		}
	case proxier.OpUpdateRealServer:
		if ok {
			// Only the weight changes; the kernel keeps the connection counters.
			rss := append([]ipvs.RealServer(nil), e.RealServers...)
			for i := range rss {
				if rss[i].AddrPort() == op.RealServer.AddrPort() {
					rss[i].Weight = op.RealServer.Weight
				}
			}
			e.RealServers = rss
		}
	case proxier.OpDeleteRealServer:
		if ok {
			e.RealServers = without(e.RealServers, op.RealServer)
		}
	}
}

// readCurrent returns the kernel's table: from the cache between full resyncs (with the draining
// real servers' counters re-read; cached is then true), else read whole. Real servers are read only
// for owned virtual servers: a foreign one is never planned on.
func (s *Syncer) readCurrent(owned proxier.Ownership, now time.Time) (t ipvs.Table, cached bool, err error) {
	if s.cache != nil && now.Sub(s.cache.readAt) < s.opts.FullResyncPeriod {
		var keys []ipvs.VirtualServerKey
		for k := range s.draining {
			keys = append(keys, k.VirtualServer)
		}
		if err := s.refresh(keys); err == nil {
			return s.cache.table(), true, nil
		}
		// The targeted read failed: fall back to a full read, which reports the error if it persists.
	}
	s.cache = nil
	if t, err = ipvs.ReadTable(s.opts.IPVS, owned.Owns); err != nil {
		return nil, false, err
	}
	if s.opts.FullResyncPeriod > 0 {
		s.cache = newKernelCache(t, now)
	}
	return t, false, nil
}

// refresh re-reads the real servers (with their connection counters) of the given cached virtual
// servers, each once.
func (s *Syncer) refresh(keys []ipvs.VirtualServerKey) error {
	seen := map[ipvs.VirtualServerKey]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		rss, err := s.opts.IPVS.ListRealServers(k)
		if err != nil {
			return err
		}
		s.cache.setRealServers(k, rss)
	}
	return nil
}

// tcpRealServerRemovals lists the TCP virtual servers whose real servers the plan deletes or
// starts draining: the decision depends on their connection counters.
func tcpRealServerRemovals(plan proxier.Plan) []ipvs.VirtualServerKey {
	var keys []ipvs.VirtualServerKey
	for _, op := range plan.Ops {
		removal := op.Kind == proxier.OpDeleteRealServer ||
			(op.Kind == proxier.OpUpdateRealServer && op.RealServer.Weight == 0)
		if removal && op.VirtualServer.Protocol == ipvs.TCP {
			keys = append(keys, op.VirtualServer.Key())
		}
	}
	return keys
}

// foldIntoCache records an applied IPVS op in the cache; a failed one drops the cache, since the
// kernel's state is then unknown.
func (s *Syncer) foldIntoCache(op proxier.Op, err error) {
	switch {
	case s.cache == nil:
	case err != nil:
		s.cache = nil
	default:
		s.cache.fold(op)
	}
}

// without returns a new slice of rss minus the real server at rs's address and port.
func without(rss []ipvs.RealServer, rs ipvs.RealServer) []ipvs.RealServer {
	out := make([]ipvs.RealServer, 0, len(rss))
	for _, r := range rss {
		if r.AddrPort() != rs.AddrPort() {
			out = append(out, r)
		}
	}
	return out
}
