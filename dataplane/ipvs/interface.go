package ipvs

import (
	"errors"
	"net/netip"
)

// Interface is the narrow IPVS port slicelb-node programs through. Real
// servers always use NAT (masquerade) forwarding.
//
// Errors wrap ErrNotFound when the virtual or real server does not exist and
// ErrExists when an Add finds it already there, so callers can use errors.Is
// whatever the implementation.
type Interface interface {
	// ListVirtualServers returns every address-based virtual server.
	// Firewall-mark services are skipped: slicelb never creates them, so
	// they are never ours to touch.
	ListVirtualServers() ([]VirtualServer, error)
	// AddVirtualServer creates vs.
	AddVirtualServer(vs VirtualServer) error
	// UpdateVirtualServer changes scheduler, persistence and flags of the
	// existing virtual server vs.Key().
	UpdateVirtualServer(vs VirtualServer) error
	// DeleteVirtualServer deletes the virtual server and all its real servers.
	DeleteVirtualServer(key VirtualServerKey) error
	// ListRealServers returns the real servers of a virtual server, with
	// their connection counters. A missing virtual server lists no real
	// servers and no error: that is what the kernel answers.
	ListRealServers(key VirtualServerKey) ([]RealServer, error)
	// AddRealServer adds rs to the virtual server key.
	AddRealServer(key VirtualServerKey, rs RealServer) error
	// UpdateRealServer changes the weight of an existing real server.
	UpdateRealServer(key VirtualServerKey, rs RealServer) error
	// DeleteRealServer removes the real server rs from the virtual server key.
	DeleteRealServer(key VirtualServerKey, rs netip.AddrPort) error
}

var (
	// ErrNotFound is wrapped by errors about a missing virtual or real server
	// (the kernel's ESRCH / ENOENT).
	ErrNotFound = errors.New("ipvs: not found")
	// ErrExists is wrapped by errors about adding something that already
	// exists (the kernel's EEXIST).
	ErrExists = errors.New("ipvs: already exists")
)
