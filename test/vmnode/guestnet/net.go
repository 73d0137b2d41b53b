//go:build linux

// Package guestnet brings up a VM guest's qemu user-mode network: shared by the VM node
// (test/vmnode/guest) and the bench's node-agent guest, both of which talk to the host's API server.
package guestnet

import (
	"fmt"
	"net"
	"os"

	"github.com/vishvananda/netlink"

	"github.com/slicelb/slicelb/test/vmnode/guestapi"
)

// Setup configures qemu's user-mode network as VM.md found it working: eth0 10.0.2.15/24,
// default route via 10.0.2.2 (where the host's loopback answers). Forwarding is on before any pod
// exists: proxy ARP answers only on forwarding interfaces, and the agent would set it anyway.
func Setup() error {
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return err
	}
	eth0, err := netlink.LinkByName("eth0")
	if err != nil {
		return fmt.Errorf("eth0 (virtio_net loaded?): %w", err)
	}
	addr, _ := netlink.ParseAddr(guestapi.NodeIP + "/24")
	if err := netlink.AddrAdd(eth0, addr); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(eth0); err != nil {
		return err
	}
	return netlink.RouteAdd(&netlink.Route{LinkIndex: eth0.Attrs().Index, Gw: net.ParseIP(guestapi.HostGateway)})
}
