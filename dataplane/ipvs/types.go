package ipvs

import (
	"cmp"
	"fmt"
	"net/netip"
	"strconv"
)

// Protocol is an IP protocol number as IPVS stores it (IPPROTO_*).
type Protocol uint16

// The protocols a Kubernetes Service port can use.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

// String returns the protocol's name as ipvsadm prints it.
func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	default:
		return "PROTO(" + strconv.Itoa(int(p)) + ")"
	}
}

// Flags are IPVS service flags (IP_VS_SVC_F_*) other than persistent and
// hashed: persistence is VirtualServer.Persistent, and "hashed" is kernel
// bookkeeping that ipvsadm also hides.
type Flags uint32

const (
	// FlagPersistent is IP_VS_SVC_F_PERSISTENT; it is carried by
	// VirtualServer.Persistent and never appears in VirtualServer.Flags.
	FlagPersistent Flags = 0x1
	// FlagHashed is IP_VS_SVC_F_HASHED: the kernel sets it on every service it
	// has hashed, so a service written with flags 0x1 reads back as 0x3.
	// Implementations strip it when reading.
	FlagHashed Flags = 0x2
)

// schedulers are the IPVS scheduling modules of Linux 6.x (ip_vs_<name>).
var schedulers = map[string]bool{
	"rr": true, "wrr": true, "lc": true, "wlc": true, "lblc": true, "lblcr": true,
	"dh": true, "sh": true, "sed": true, "nq": true, "fo": true, "ovf": true,
	"mh": true, "twos": true,
}

// ValidScheduler reports whether name is an IPVS scheduler the kernel ships.
func ValidScheduler(name string) bool { return schedulers[name] }

// VirtualServerKey identifies a virtual server: IPVS keys services by
// (protocol, address, port).
type VirtualServerKey struct {
	Address  netip.Addr
	Protocol Protocol
	Port     uint16
}

// String returns "TCP 10.96.0.1:80" or "UDP [fd00::1]:53".
func (k VirtualServerKey) String() string {
	return k.Protocol.String() + " " + netip.AddrPortFrom(k.Address, k.Port).String()
}

// Compare orders keys by address, then protocol, then port (the order
// ipvsadm-like listings and plans use).
func (k VirtualServerKey) Compare(o VirtualServerKey) int {
	if c := k.Address.Compare(o.Address); c != 0 {
		return c
	}
	if c := cmp.Compare(k.Protocol, o.Protocol); c != 0 {
		return c
	}
	return cmp.Compare(k.Port, o.Port)
}

// VirtualServer is an IPVS service addressed by IP, protocol and port.
type VirtualServer struct {
	// Address is the VIP; IPv4 addresses are always the 4-byte form.
	Address  netip.Addr
	Protocol Protocol
	Port     uint16
	// Scheduler is the ip_vs scheduler module name, e.g. "rr".
	Scheduler string
	// Persistent is IP_VS_SVC_F_PERSISTENT: a client sticks to one real
	// server for Timeout seconds (Service sessionAffinity: ClientIP).
	Persistent bool
	// Timeout is the persistence timeout in seconds; 0 when not persistent.
	Timeout uint32
	// Flags are the remaining service flags (never persistent or hashed).
	Flags Flags
}

// Key returns the identity of the virtual server.
func (v VirtualServer) Key() VirtualServerKey {
	return VirtualServerKey{Address: v.Address, Protocol: v.Protocol, Port: v.Port}
}

// Equal reports whether every field of v and o is the same.
func (v VirtualServer) Equal(o VirtualServer) bool { return v == o }

// String renders the virtual server as an `ipvsadm -Ln` service line.
func (v VirtualServer) String() string {
	s := fmt.Sprintf("%-5s%s %s", v.Protocol.String(), netip.AddrPortFrom(v.Address, v.Port), v.Scheduler)
	if v.Persistent {
		s += " persistent " + strconv.FormatUint(uint64(v.Timeout), 10)
	}
	if v.Flags != 0 {
		s += fmt.Sprintf(" flags 0x%x", uint32(v.Flags))
	}
	return s
}

// RealServer is an IPVS destination of a virtual server.
type RealServer struct {
	Address netip.Addr
	Port    uint16
	// Weight 0 keeps existing connections but gets no new ones (draining).
	Weight int
	// ActiveConns and InactiveConns are the kernel's connection counters.
	// They are read-only: Add and Update ignore them.
	ActiveConns   int
	InactiveConns int
}

// AddrPort is the identity of a real server within its virtual server.
func (r RealServer) AddrPort() netip.AddrPort { return netip.AddrPortFrom(r.Address, r.Port) }

// Equal compares what can be programmed (address, port, weight), not the
// connection counters, which only the kernel changes.
func (r RealServer) Equal(o RealServer) bool {
	return r.Address == o.Address && r.Port == o.Port && r.Weight == o.Weight
}

// String renders the real server as an `ipvsadm -Ln` destination line.
func (r RealServer) String() string {
	return fmt.Sprintf("  -> %-28s Masq    %-6d %-10d %d", r.AddrPort(), r.Weight, r.ActiveConns, r.InactiveConns)
}
