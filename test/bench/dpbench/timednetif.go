package dpbench

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/slicelb/slicelb/dataplane/netif"
)

// TimedNetif wraps a netif.Interface and sums the wall time of its calls (device check, sysctls,
// address listing and address changes on slicelb0), so a sync's time on the VIP device is reported
// apart from its IPVS time.
type TimedNetif struct {
	Inner netif.Interface
	nanos atomic.Int64
}

var _ netif.Interface = (*TimedNetif)(nil)

// Duration returns the time spent in the wrapped calls so far.
func (t *TimedNetif) Duration() time.Duration { return time.Duration(t.nanos.Load()) }

// EnsureDevice is timed.
func (t *TimedNetif) EnsureDevice() error {
	defer since(&t.nanos, time.Now())
	return t.Inner.EnsureDevice()
}

// Addresses is timed.
func (t *TimedNetif) Addresses() ([]netip.Addr, error) {
	defer since(&t.nanos, time.Now())
	return t.Inner.Addresses()
}

// SyncAddresses is timed.
func (t *TimedNetif) SyncAddresses(want []netip.Addr) (netif.Change, error) {
	defer since(&t.nanos, time.Now())
	return t.Inner.SyncAddresses(want)
}

// EnsureSysctls is timed.
func (t *TimedNetif) EnsureSysctls(s netif.Sysctls) error {
	defer since(&t.nanos, time.Now())
	return t.Inner.EnsureSysctls(s)
}

// DeleteDevice is timed.
func (t *TimedNetif) DeleteDevice() error {
	defer since(&t.nanos, time.Now())
	return t.Inner.DeleteDevice()
}
