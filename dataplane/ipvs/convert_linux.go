package ipvs

import (
	"net"
	"net/netip"
	"syscall"

	mobyipvs "github.com/moby/ipvs"
)

// keyService is the moby/ipvs service that names key: the kernel looks a
// service up by family, protocol, address and port.
func keyService(key VirtualServerKey) *mobyipvs.Service {
	s := &mobyipvs.Service{
		Address:  net.IP(key.Address.AsSlice()),
		Protocol: uint16(key.Protocol),
		Port:     key.Port,
	}
	if key.Address.Is4() {
		s.AddressFamily = syscall.AF_INET
		// A single-address service: the kernel wants a full mask here.
		s.Netmask = 0xffffffff
	} else {
		s.AddressFamily = syscall.AF_INET6
		// For IPv6 the netmask is a prefix length, 1..128 (ip_vs_ctl.c).
		s.Netmask = 128
	}
	return s
}

// toService converts vs to moby/ipvs, folding Persistent into the flags.
func toService(vs VirtualServer) *mobyipvs.Service {
	s := keyService(vs.Key())
	s.SchedName = vs.Scheduler
	s.Flags = uint32(vs.Flags &^ (FlagPersistent | FlagHashed))
	if vs.Persistent {
		s.Flags |= uint32(FlagPersistent)
		s.Timeout = vs.Timeout
	}
	return s
}

// fromService converts a listed service; the kernel's "hashed" flag is
// dropped and persistence moves into Persistent/Timeout.
func fromService(s *mobyipvs.Service) (VirtualServer, bool) {
	addr, ok := netip.AddrFromSlice(s.Address)
	if !ok {
		return VirtualServer{}, false
	}
	flags := Flags(s.Flags)
	vs := VirtualServer{
		Address:    addr.Unmap(),
		Protocol:   Protocol(s.Protocol),
		Port:       s.Port,
		Scheduler:  s.SchedName,
		Persistent: flags&FlagPersistent != 0,
		Flags:      flags &^ (FlagPersistent | FlagHashed),
	}
	if vs.Persistent {
		vs.Timeout = s.Timeout
	}
	return vs, true
}

// toDestination converts rs to a masquerading moby/ipvs destination.
func toDestination(rs RealServer) *mobyipvs.Destination {
	d := &mobyipvs.Destination{
		Address:         net.IP(rs.Address.AsSlice()),
		Port:            rs.Port,
		Weight:          rs.Weight,
		ConnectionFlags: mobyipvs.ConnectionFlagMasq,
		AddressFamily:   syscall.AF_INET6,
	}
	if rs.Address.Is4() {
		d.AddressFamily = syscall.AF_INET
	}
	return d
}
