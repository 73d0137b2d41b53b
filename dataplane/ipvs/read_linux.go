package ipvs

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/slicelb/slicelb/dataplane/internal/nlbatch"
)

// IPVS generic netlink: the real-server dump command and the attributes read back.
const (
	ipvsCmdGetDest = 8

	ipvsDestAttrActiveConns   = 7
	ipvsDestAttrInactiveConns = 8
)

// ListRealServers implements Interface with its own dump (instead of moby/ipvs's, which also
// decodes every statistics attribute into allocated structures): a full resync reads one dump
// per virtual server, 10,000 of them on a large node, so the per-dump cost counts.
func (n *Netlink) ListRealServers(key VirtualServerKey) ([]RealServer, error) {
	n.batchMu.Lock()
	defer n.batchMu.Unlock()
	sock, family, err := n.batchSocket()
	if err != nil {
		return nil, wrap("listing real servers", key, false, err)
	}
	vs := VirtualServer{Address: key.Address, Protocol: key.Protocol, Port: key.Port}
	var out []RealServer
	err = n.dumper.Dump(sock.GetFd(), family, func(b *nlbatch.Builder) {
		b.Fixed([]byte{ipvsCmdGetDest, 1, 0, 0})
		encodeServiceKey(b, vs)
	}, netlinkReceiveTimeout, func(payload []byte) error {
		rs, err := parseDest(payload, key.Address.Is4())
		if err != nil {
			return err
		}
		out = append(out, rs)
		return nil
	})
	if err != nil {
		return nil, wrap("listing real servers", key, false, err)
	}
	if out == nil {
		out = []RealServer{}
	}
	return out, nil
}

// encodeServiceKey writes the attributes that name a service (what the kernel looks it up by).
func encodeServiceKey(b *nlbatch.Builder, vs VirtualServer) {
	s := toService(vs)
	b.Nest(ipvsCmdAttrService)
	b.U16(ipvsSvcAttrAF, s.AddressFamily)
	b.U16(ipvsSvcAttrProtocol, s.Protocol)
	b.Attr(ipvsSvcAttrAddr, rawIP(s.Address))
	b.BE16(ipvsSvcAttrPort, s.Port)
	b.EndNest()
}

// parseDest decodes one IPVS_CMD_NEW_DEST message of a dump (genlmsghdr + IPVS_CMD_ATTR_DEST).
// The kernel sends the address as a 16-byte union whatever the family; the family attribute (or,
// on kernels before 3.18 that lack it, the virtual server's family) says how much of it is used.
func parseDest(payload []byte, serviceIs4 bool) (RealServer, error) {
	if len(payload) < 4 {
		return RealServer{}, fmt.Errorf("short IPVS message (%d bytes)", len(payload))
	}
	var rs RealServer
	var addr []byte
	is4 := serviceIs4
	found := false
	nlbatch.Attrs(payload[4:], func(typ uint16, data []byte) {
		if typ != ipvsCmdAttrDest {
			return
		}
		found = true
		nlbatch.Attrs(data, func(typ uint16, v []byte) {
			switch {
			case typ == ipvsDestAttrAddr:
				addr = v
			case typ == ipvsDestAttrAF && len(v) >= 2:
				is4 = binary.NativeEndian.Uint16(v) == syscall.AF_INET
			case typ == ipvsDestAttrPort && len(v) >= 2:
				rs.Port = binary.BigEndian.Uint16(v)
			case typ == ipvsDestAttrWeight && len(v) >= 4:
				rs.Weight = int(binary.NativeEndian.Uint32(v))
			case typ == ipvsDestAttrActiveConns && len(v) >= 4:
				rs.ActiveConns = int(binary.NativeEndian.Uint32(v))
			case typ == ipvsDestAttrInactiveConns && len(v) >= 4:
				rs.InactiveConns = int(binary.NativeEndian.Uint32(v))
			}
		})
	})
	want := 16
	if is4 {
		want = 4
	}
	if !found || len(addr) < want {
		return RealServer{}, fmt.Errorf("IPVS real server without a usable address (%d bytes)", len(addr))
	}
	a, _ := netip.AddrFromSlice(addr[:want])
	rs.Address = a.Unmap()
	return rs, nil
}
