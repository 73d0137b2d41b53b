package dpbench

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// Counting wraps an ipvs.Interface and counts netlink round trips: a read is one dump (a
// virtual-server list or one virtual server's real-server list), a write is one IPVS command
// (batched writes still count one each: the kernel executes and acknowledges each). It also sums
// the wall time spent in reads and in writes, so a step's time can be split into kernel round
// trips and everything else.
type Counting struct {
	Inner                 ipvs.Interface
	reads, writes         atomic.Int64
	readNanos, writeNanos atomic.Int64
}

var (
	_ ipvs.Interface   = (*Counting)(nil)
	_ ipvs.BatchWriter = (*Counting)(nil)
)

// Counts returns the reads and writes so far.
func (c *Counting) Counts() (reads, writes int) { return int(c.reads.Load()), int(c.writes.Load()) }

// Durations returns the wall time spent in reads and in writes so far.
func (c *Counting) Durations() (reads, writes time.Duration) {
	return time.Duration(c.readNanos.Load()), time.Duration(c.writeNanos.Load())
}

// since adds the time since start to d.
func since(d *atomic.Int64, start time.Time) { d.Add(int64(time.Since(start))) }

// ListVirtualServers counts one read.
func (c *Counting) ListVirtualServers() ([]ipvs.VirtualServer, error) {
	c.reads.Add(1)
	defer since(&c.readNanos, time.Now())
	return c.Inner.ListVirtualServers()
}

// ListRealServers counts one read.
func (c *Counting) ListRealServers(key ipvs.VirtualServerKey) ([]ipvs.RealServer, error) {
	c.reads.Add(1)
	defer since(&c.readNanos, time.Now())
	return c.Inner.ListRealServers(key)
}

// AddVirtualServer counts one write.
func (c *Counting) AddVirtualServer(vs ipvs.VirtualServer) error {
	c.writes.Add(1)
	defer since(&c.writeNanos, time.Now())
	return c.Inner.AddVirtualServer(vs)
}

// UpdateVirtualServer counts one write.
func (c *Counting) UpdateVirtualServer(vs ipvs.VirtualServer) error {
	c.writes.Add(1)
	defer since(&c.writeNanos, time.Now())
	return c.Inner.UpdateVirtualServer(vs)
}

// DeleteVirtualServer counts one write.
func (c *Counting) DeleteVirtualServer(key ipvs.VirtualServerKey) error {
	c.writes.Add(1)
	defer since(&c.writeNanos, time.Now())
	return c.Inner.DeleteVirtualServer(key)
}

// AddRealServer counts one write.
func (c *Counting) AddRealServer(key ipvs.VirtualServerKey, rs ipvs.RealServer) error {
	c.writes.Add(1)
	defer since(&c.writeNanos, time.Now())
	return c.Inner.AddRealServer(key, rs)
}

// UpdateRealServer counts one write.
func (c *Counting) UpdateRealServer(key ipvs.VirtualServerKey, rs ipvs.RealServer) error {
	c.writes.Add(1)
	defer since(&c.writeNanos, time.Now())
	return c.Inner.UpdateRealServer(key, rs)
}

// DeleteRealServer counts one write.
func (c *Counting) DeleteRealServer(key ipvs.VirtualServerKey, rs netip.AddrPort) error {
	c.writes.Add(1)
	defer since(&c.writeNanos, time.Now())
	return c.Inner.DeleteRealServer(key, rs)
}

// WriteBatch keeps the inner Interface's batching (ipvs.ApplyWrites) and counts each write.
func (c *Counting) WriteBatch(ws []ipvs.Write) []error {
	c.writes.Add(int64(len(ws)))
	defer since(&c.writeNanos, time.Now())
	return ipvs.ApplyWrites(c.Inner, ws)
}
