package netlab

import (
	"runtime"

	"github.com/vishvananda/netns"
)

// Do runs fn on an OS thread inside ns and waits for it.
func Do(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread leaves with the goroutine instead of carrying ns elsewhere.
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// newNS creates a network namespace and runs fn inside it (e.g. to open the pod's listeners).
func newNS(fn func() error) (netns.NsHandle, error) {
	type result struct {
		ns  netns.NsHandle
		err error
	}
	resc := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		ns, err := netns.New() // unshare(CLONE_NEWNET): this thread is now inside ns
		if err == nil {
			err = fn()
		}
		resc <- result{ns, err}
	}()
	r := <-resc
	return r.ns, r.err
}
