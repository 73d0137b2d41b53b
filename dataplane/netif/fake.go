package netif

import (
	"net/netip"
	"slices"
	"sync"
)

// Fake is an in-memory Interface for unit tests of the agent. Writes counts every change it made,
// so a test can assert that a no-op sync wrote nothing.
type Fake struct {
	mu      sync.Mutex
	exists  bool
	addrs   map[netip.Addr]struct{}
	sysctls map[string]string
	writes  int
}

var _ Interface = (*Fake)(nil)

// NewFake returns a Fake without the device, as on a fresh node.
func NewFake() *Fake {
	return &Fake{addrs: map[netip.Addr]struct{}{}, sysctls: map[string]string{}}
}

// EnsureDevice implements Interface.
func (f *Fake) EnsureDevice() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.exists {
		f.exists = true
		f.writes++
	}
	return nil
}

// Addresses implements Interface.
func (f *Fake) Addresses() ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sortedLocked(), nil
}

func (f *Fake) sortedLocked() []netip.Addr {
	out := make([]netip.Addr, 0, len(f.addrs))
	for a := range f.addrs {
		out = append(out, a)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// SyncAddresses implements Interface; like the kernel, it fails when the device does not exist.
func (f *Fake) SyncAddresses(want []netip.Addr) (Change, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := DiffAddresses(f.sortedLocked(), want)
	if c.Empty() {
		return c, nil
	}
	if !f.exists {
		return Change{}, errNoDevice
	}
	for _, a := range c.Added {
		f.addrs[a] = struct{}{}
		f.writes++
	}
	for _, a := range c.Removed {
		delete(f.addrs, a)
		f.writes++
	}
	return c, nil
}

// EnsureSysctls implements Interface.
func (f *Fake) EnsureSysctls(s Sysctls) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, sc := range Required(s) {
		if f.sysctls[sc.Path] != sc.Value {
			f.sysctls[sc.Path] = sc.Value
			f.writes++
		}
	}
	return nil
}

// DeleteDevice implements Interface.
func (f *Fake) DeleteDevice() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.exists {
		f.exists = false
		f.addrs = map[netip.Addr]struct{}{}
		f.writes++
	}
	return nil
}

// DeviceExists reports whether the device exists.
func (f *Fake) DeviceExists() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exists
}

// Sysctl returns the value written for path ("" when never written).
func (f *Fake) Sysctl(path string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sysctls[path]
}

// Writes returns the number of changes made so far.
func (f *Fake) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}
