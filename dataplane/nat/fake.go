package nat

import (
	"slices"
	"sync"

	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// Fake keeps the desired rules in memory, with the same no-op rule as the kernel implementation.
type Fake struct {
	mu     sync.Mutex
	rules  []Rule
	exists bool
	writes int
}

var _ Interface = (*Fake)(nil)

// Sync implements Interface.
func (f *Fake) Sync(masquerade []ipvs.VirtualServerKey, hairpin []proxier.Hairpin) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := DesiredRules(masquerade, hairpin)
	if slices.Equal(f.rules, want) && (f.exists || len(want) == 0) {
		return false, nil
	}
	f.rules, f.exists = want, true
	f.writes++
	return true, nil
}

// Cleanup implements Interface.
func (f *Fake) Cleanup() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.exists {
		f.rules, f.exists = nil, false
		f.writes++
	}
	return nil
}

// Rules returns the rules in place.
func (f *Fake) Rules() []Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rules)
}

// Writes returns the number of transactions so far.
func (f *Fake) Writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}
