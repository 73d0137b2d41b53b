package netif

import (
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// currentNS reports whether ns means "the namespace the caller runs in": the zero value or None.
func currentNS(ns netns.NsHandle) bool { return ns <= 0 }

// routeHandle opens an rtnetlink handle in ns (or the current namespace). The family list is
// required: NewHandleAt without it fails with "protocol not supported".
func routeHandle(ns netns.NsHandle) (*netlink.Handle, error) {
	if currentNS(ns) {
		return netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	return netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
}

// routeSocket opens a raw rtnetlink socket in ns (or the current namespace) for batched writes.
func routeSocket(ns netns.NsHandle) (*nl.NetlinkSocket, error) {
	if currentNS(ns) {
		ns = netns.None()
	}
	return nl.GetNetlinkSocketAt(ns, netns.None(), unix.NETLINK_ROUTE)
}

// inNetNS runs fn on an OS thread that has entered ns. /proc/sys/net shows the namespace of the
// thread that opens the file, so sysctls of another namespace must be written from inside it. The
// thread is never unlocked: when the goroutine ends, the Go runtime discards it instead of handing a
// thread in a foreign namespace to other goroutines.
func inNetNS(ns netns.NsHandle, fn func() error) error {
	if currentNS(ns) {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := netns.Set(ns); err != nil {
			errc <- err
			return
		}
		errc <- fn()
	}()
	return <-errc
}
