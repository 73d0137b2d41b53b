package ipvs

import (
	"fmt"
	"net/netip"
)

// ListVirtualServers implements Interface.
func (f *Fake) ListVirtualServers() ([]VirtualServer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(MethodListVirtualServers); err != nil {
		return nil, err
	}
	out := make([]VirtualServer, 0, len(f.services))
	for _, s := range f.services {
		out = append(out, s.vs)
	}
	return out, nil
}

// AddVirtualServer implements Interface.
func (f *Fake) AddVirtualServer(vs VirtualServer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(MethodAddVirtualServer); err != nil {
		return err
	}
	if err := validateVirtualServer(vs); err != nil {
		return err
	}
	if _, ok := f.services[vs.Key()]; ok {
		return fmt.Errorf("virtual server %s: %w", vs.Key(), ErrExists)
	}
	f.services[vs.Key()] = &fakeService{vs: vs, rss: map[netip.AddrPort]RealServer{}}
	return nil
}

// UpdateVirtualServer implements Interface.
func (f *Fake) UpdateVirtualServer(vs VirtualServer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(MethodUpdateVirtualServer); err != nil {
		return err
	}
	if err := validateVirtualServer(vs); err != nil {
		return err
	}
	s, ok := f.services[vs.Key()]
	if !ok {
		return fmt.Errorf("virtual server %s: %w", vs.Key(), ErrNotFound)
	}
	s.vs = vs
	return nil
}

// DeleteVirtualServer implements Interface.
func (f *Fake) DeleteVirtualServer(key VirtualServerKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(MethodDeleteVirtualServer); err != nil {
		return err
	}
	if _, ok := f.services[key]; !ok {
		return fmt.Errorf("virtual server %s: %w", key, ErrNotFound)
	}
	delete(f.services, key)
	return nil
}

// ListRealServers implements Interface.
func (f *Fake) ListRealServers(key VirtualServerKey) ([]RealServer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(MethodListRealServers); err != nil {
		return nil, err
	}
	s, ok := f.services[key]
	if !ok {
		// Like the kernel, whose destination dump of a missing service is
		// empty rather than an error (ip_vs_genl_dump_dests).
		return []RealServer{}, nil
	}
	out := make([]RealServer, 0, len(s.rss))
	for _, rs := range s.rss {
		out = append(out, rs)
	}
	return out, nil
}

// AddRealServer implements Interface.
func (f *Fake) AddRealServer(key VirtualServerKey, rs RealServer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(MethodAddRealServer); err != nil {
		return err
	}
	s, err := f.service(key, rs)
	if err != nil {
		return err
	}
	if _, ok := s.rss[rs.AddrPort()]; ok {
		return fmt.Errorf("real server %s of %s: %w", rs.AddrPort(), key, ErrExists)
	}
	// A new destination starts with no connections, whatever the caller says.
	s.rss[rs.AddrPort()] = RealServer{Address: rs.Address, Port: rs.Port, Weight: rs.Weight}
	return nil
}

// UpdateRealServer implements Interface.
func (f *Fake) UpdateRealServer(key VirtualServerKey, rs RealServer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(MethodUpdateRealServer); err != nil {
		return err
	}
	s, err := f.service(key, rs)
	if err != nil {
		return err
	}
	cur, ok := s.rss[rs.AddrPort()]
	if !ok {
		return fmt.Errorf("real server %s of %s: %w", rs.AddrPort(), key, ErrNotFound)
	}
	// Only the weight is programmable; the counters belong to the kernel.
	cur.Weight = rs.Weight
	s.rss[rs.AddrPort()] = cur
	return nil
}

// DeleteRealServer implements Interface.
func (f *Fake) DeleteRealServer(key VirtualServerKey, rs netip.AddrPort) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(MethodDeleteRealServer); err != nil {
		return err
	}
	s, ok := f.services[key]
	if !ok {
		return fmt.Errorf("virtual server %s: %w", key, ErrNotFound)
	}
	if _, ok := s.rss[rs]; !ok {
		return fmt.Errorf("real server %s of %s: %w", rs, key, ErrNotFound)
	}
	delete(s.rss, rs)
	return nil
}

// service returns the virtual server key after checking that rs may be
// added to it. The caller holds f.mu.
func (f *Fake) service(key VirtualServerKey, rs RealServer) (*fakeService, error) {
	s, ok := f.services[key]
	if !ok {
		return nil, fmt.Errorf("virtual server %s: %w", key, ErrNotFound)
	}
	// The kernel refuses a destination of the other family unless it
	// tunnels (ip_vs_ctl.c ip_vs_add_dest: -EINVAL); slicelb only masquerades.
	if !rs.Address.IsValid() || !addrFamilyMatch(rs.Address, key.Address) {
		return nil, fmt.Errorf("real server %s of %s: address family mismatch", rs.AddrPort(), key)
	}
	if rs.Weight < 0 {
		return nil, fmt.Errorf("real server %s of %s: negative weight %d", rs.AddrPort(), key, rs.Weight)
	}
	return s, nil
}

// validateVirtualServer rejects what the kernel would reject.
func validateVirtualServer(vs VirtualServer) error {
	if !vs.Address.IsValid() || vs.Address.Is4In6() || vs.Address.Zone() != "" {
		return fmt.Errorf("virtual server %s: invalid address", vs.Key())
	}
	switch vs.Protocol {
	case TCP, UDP, SCTP:
	default:
		return fmt.Errorf("virtual server %s: unsupported protocol", vs.Key())
	}
	// A missing scheduler module makes the kernel answer ENOENT.
	if !ValidScheduler(vs.Scheduler) {
		return fmt.Errorf("virtual server %s: unknown scheduler %q", vs.Key(), vs.Scheduler)
	}
	if vs.Flags&(FlagPersistent|FlagHashed) != 0 {
		return fmt.Errorf("virtual server %s: flags 0x%x must not carry persistent/hashed", vs.Key(), uint32(vs.Flags))
	}
	return nil
}
