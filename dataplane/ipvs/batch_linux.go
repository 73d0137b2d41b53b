package ipvs

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"

	"github.com/slicelb/slicelb/dataplane/internal/nlbatch"
)

var _ BatchWriter = (*Netlink)(nil)

// IPVS generic netlink commands and attributes (include/uapi/linux/ip_vs.h).
const (
	ipvsCmdNewService = 1
	ipvsCmdSetService = 2
	ipvsCmdDelService = 3
	ipvsCmdNewDest    = 5
	ipvsCmdSetDest    = 6
	ipvsCmdDelDest    = 7

	ipvsCmdAttrService = 1
	ipvsCmdAttrDest    = 2

	ipvsSvcAttrAF        = 1
	ipvsSvcAttrProtocol  = 2
	ipvsSvcAttrAddr      = 3
	ipvsSvcAttrPort      = 4
	ipvsSvcAttrSchedName = 6
	ipvsSvcAttrFlags     = 7
	ipvsSvcAttrTimeout   = 8
	ipvsSvcAttrNetmask   = 9

	ipvsDestAttrAddr      = 1
	ipvsDestAttrPort      = 2
	ipvsDestAttrFwdMethod = 3
	ipvsDestAttrWeight    = 4
	ipvsDestAttrUThresh   = 5
	ipvsDestAttrLThresh   = 6
	ipvsDestAttrAF        = 11
)

// WriteBatch implements BatchWriter: it builds the same messages moby/ipvs
// sends (plus the destination's address family, so the kernel itself
// refuses a family mismatch) and sends up to nlbatch.MaxChunk of them per
// sendmsg, with one acknowledgement per chunk plus one answer per failure
// (see package nlbatch).
func (n *Netlink) WriteBatch(ws []Write) []error {
	errs := make([]error, len(ws))
	// One batch at a time: answers are read from the shared socket.
	n.batchMu.Lock()
	defer n.batchMu.Unlock()
	sock, family, err := n.batchSocket()
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	var c nlbatch.Chunk
	flush := func() {
		c.Exec(sock.GetFd(), errs, netlinkReceiveTimeout)
		c.Reset()
	}
	for i, w := range ws {
		if err := encode(&c, i, family, w); err != nil {
			errs[i] = err
			continue
		}
		if c.Len() == nlbatch.MaxChunk {
			flush()
		}
	}
	flush()
	for i, err := range errs {
		// A refused write comes back as the kernel's bare errno; give it context and the
		// package's sentinels.
		if errno, ok := err.(syscall.Errno); ok {
			w := ws[i]
			errs[i] = wrap(string(w.Method), w.VirtualServer.Key(), isRealServerMethod(w.Method), errno)
		}
	}
	return errs
}

// batchSocket returns the batch socket and, resolved once, the IPVS
// generic netlink family (family IDs are global, not per namespace). The
// caller holds batchMu.
func (n *Netlink) batchSocket() (*nl.NetlinkSocket, uint16, error) {
	if n.batchSock == nil {
		return nil, 0, fmt.Errorf("ipvs: handle closed")
	}
	if n.batchFamily == 0 {
		fam, err := netlink.GenlFamilyGet("IPVS")
		if err != nil {
			return nil, 0, fmt.Errorf("resolving the IPVS generic netlink family: %w", err)
		}
		n.batchFamily = fam.ID
	}
	return n.batchSock, n.batchFamily, nil
}

func isRealServerMethod(m Method) bool {
	return m == MethodAddRealServer || m == MethodUpdateRealServer || m == MethodDeleteRealServer
}

// commands maps write methods to IPVS generic netlink commands.
var commands = map[Method]uint8{
	MethodAddVirtualServer:    ipvsCmdNewService,
	MethodUpdateVirtualServer: ipvsCmdSetService,
	MethodDeleteVirtualServer: ipvsCmdDelService,
	MethodAddRealServer:       ipvsCmdNewDest,
	MethodUpdateRealServer:    ipvsCmdSetDest,
	MethodDeleteRealServer:    ipvsCmdDelDest,
}

// encode appends the generic netlink message for w to c, tagged with owner.
func encode(c *nlbatch.Chunk, owner int, family uint16, w Write) error {
	cmd, ok := commands[w.Method]
	if !ok {
		return fmt.Errorf("%q is not a write method", w.Method)
	}
	if isRealServerMethod(w.Method) {
		if err := checkFamily(w.VirtualServer.Key(), w.RealServer); err != nil {
			return err
		}
	}
	c.Begin(owner, family, 0)
	// struct genlmsghdr { cmd, version, reserved }; IPVS's genl version is 1 (IPVS_GENL_VERSION).
	c.Fixed([]byte{cmd, 1, 0, 0})
	encodeService(&c.Builder, w.VirtualServer)
	if isRealServerMethod(w.Method) {
		encodeDest(&c.Builder, w.RealServer)
	}
	c.End()
	return nil
}

// encodeService writes IPVS_CMD_ATTR_SERVICE with the attributes moby/ipvs sends for a service.
func encodeService(b *nlbatch.Builder, vs VirtualServer) {
	s := toService(vs)
	b.Nest(ipvsCmdAttrService)
	b.U16(ipvsSvcAttrAF, s.AddressFamily)
	b.U16(ipvsSvcAttrProtocol, s.Protocol)
	b.Attr(ipvsSvcAttrAddr, rawIP(s.Address))
	b.BE16(ipvsSvcAttrPort, s.Port)
	b.String(ipvsSvcAttrSchedName, s.SchedName)
	// struct ip_vs_flags { flags, mask }: every flag is set as given.
	var flags [8]byte
	binary.NativeEndian.PutUint32(flags[0:], s.Flags)
	binary.NativeEndian.PutUint32(flags[4:], 0xffffffff)
	b.Attr(ipvsSvcAttrFlags, flags[:])
	b.U32(ipvsSvcAttrTimeout, s.Timeout)
	b.U32(ipvsSvcAttrNetmask, s.Netmask)
	b.EndNest()
}

// encodeDest writes IPVS_CMD_ATTR_DEST for a real server (masquerading, no thresholds).
func encodeDest(b *nlbatch.Builder, rs RealServer) {
	d := toDestination(rs)
	b.Nest(ipvsCmdAttrDest)
	b.Attr(ipvsDestAttrAddr, rawIP(d.Address))
	b.BE16(ipvsDestAttrPort, d.Port)
	b.U32(ipvsDestAttrFwdMethod, d.ConnectionFlags&0x7)
	b.U32(ipvsDestAttrWeight, uint32(d.Weight))
	b.U32(ipvsDestAttrUThresh, 0)
	b.U32(ipvsDestAttrLThresh, 0)
	b.U16(ipvsDestAttrAF, d.AddressFamily)
	b.EndNest()
}

// rawIP is the address as the kernel expects it: 4 bytes for IPv4.
func rawIP(ip []byte) []byte {
	if len(ip) == 16 && isV4Mapped(ip) {
		return ip[12:]
	}
	return ip
}

func isV4Mapped(ip []byte) bool {
	for _, b := range ip[:10] {
		if b != 0 {
			return false
		}
	}
	return ip[10] == 0xff && ip[11] == 0xff
}
