package main

import (
	"fmt"
	"os"

	"github.com/vishvananda/netns"

	"github.com/slicelb/slicelb/dataplane/conntrack"
	"github.com/slicelb/slicelb/dataplane/ipvs"
	"github.com/slicelb/slicelb/dataplane/nat"
	"github.com/slicelb/slicelb/dataplane/netif"
)

// procIPVS exists exactly when the ip_vs module is loaded (in this network namespace's view).
const procIPVS = "/proc/net/ip_vs"

// openIPVS opens only the IPVS port (for `slicelb-node status`). Without the ip_vs module the
// netlink family is missing and every listing would look empty: fail loudly instead, like ipvsadm.
func openIPVS() (ipvs.Interface, func(), error) {
	if _, err := os.Stat(procIPVS); err != nil {
		return nil, nil, fmt.Errorf("IPVS is not available in this kernel (load the ip_vs module): %w", err)
	}
	h, err := ipvs.NewNetlink("")
	if err != nil {
		return nil, nil, fmt.Errorf("opening IPVS netlink (is the ip_vs module loaded?): %w", err)
	}
	return h, func() { _ = h.Close() }, nil
}

// openKernel opens every port; procSys is where /proc/sys is writable.
func openKernel(procSys string) (*kernel, error) {
	k := &kernel{}
	h, closeIPVS, err := openIPVS()
	if err != nil {
		return nil, err
	}
	k.ipvs, k.closers = h, append(k.closers, closeIPVS)

	n, err := netif.New(netif.Options{ProcSys: procSys})
	if err != nil {
		k.close()
		return nil, fmt.Errorf("opening rtnetlink: %w", err)
	}
	k.netif, k.closers = n, append(k.closers, n.Close)

	t, err := nat.New(netns.None())
	if err != nil {
		k.close()
		return nil, fmt.Errorf("opening nftables: %w", err)
	}
	k.nat, k.closers = t, append(k.closers, func() { _ = t.Close() })

	ct, err := conntrack.New(netns.None())
	if err != nil {
		k.close()
		return nil, fmt.Errorf("opening conntrack netlink: %w", err)
	}
	k.conntrack, k.closers = ct, append(k.closers, ct.Close)
	return k, nil
}
