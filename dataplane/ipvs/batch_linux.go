package ipvs

import (
	"fmt"
	"syscall"

	mobyipvs "github.com/moby/ipvs"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

var _ BatchWriter = (*Netlink)(nil)

// batchSize bounds the messages sent in one sendmsg: every message earns an
// acknowledgement (a failed one carries a copy of the request), and those
// must fit in the socket's receive buffer or the kernel drops them.
const batchSize = 256

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
// refuses a family mismatch), sends up to batchSize of them per sendmsg and
// matches the acknowledgements back by sequence number.
func (n *Netlink) WriteBatch(ws []Write) []error {
	errs := make([]error, len(ws))
	// One batch at a time: acknowledgements are read from the shared socket.
	n.batchMu.Lock()
	defer n.batchMu.Unlock()
	sock, family, err := n.batchSocket()
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for start := 0; start < len(ws); start += batchSize {
		end := min(start+batchSize, len(ws))
		sendChunk(sock, family, ws[start:end], errs[start:end])
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

// sendChunk sends ws as one buffer and fills errs from the acknowledgements.
func sendChunk(sock *nl.NetlinkSocket, family uint16, ws []Write, errs []error) {
	pending := map[uint32]int{}
	var buf []byte
	for i, w := range ws {
		req, err := request(family, w)
		if err != nil {
			errs[i] = err
			continue
		}
		buf = append(buf, req.Serialize()...)
		pending[req.Seq] = i
	}
	if len(pending) == 0 {
		return
	}
	fail := func(err error) {
		for _, i := range pending {
			errs[i] = err
		}
	}
	if err := unix.Sendto(sock.GetFd(), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		fail(fmt.Errorf("sending %d IPVS writes: %w", len(pending), err))
		return
	}
	for len(pending) > 0 {
		msgs, _, err := sock.Receive()
		if err != nil {
			fail(fmt.Errorf("waiting for %d IPVS acknowledgements: %w", len(pending), err))
			return
		}
		for _, m := range msgs {
			i, ok := pending[m.Header.Seq]
			if !ok || m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
				continue
			}
			delete(pending, m.Header.Seq)
			if code := int32(nl.NativeEndian().Uint32(m.Data[:4])); code != 0 {
				w := ws[i]
				errs[i] = wrap(string(w.Method), w.VirtualServer.Key(), isRealServerMethod(w.Method), syscall.Errno(-code))
			}
		}
	}
}

func isRealServerMethod(m Method) bool {
	return m == MethodAddRealServer || m == MethodUpdateRealServer || m == MethodDeleteRealServer
}

// request builds the generic netlink message for w.
func request(family uint16, w Write) (*nl.NetlinkRequest, error) {
	var cmd uint8
	switch w.Method {
	case MethodAddVirtualServer:
		cmd = ipvsCmdNewService
	case MethodUpdateVirtualServer:
		cmd = ipvsCmdSetService
	case MethodDeleteVirtualServer:
		cmd = ipvsCmdDelService
	case MethodAddRealServer:
		cmd = ipvsCmdNewDest
	case MethodUpdateRealServer:
		cmd = ipvsCmdSetDest
	case MethodDeleteRealServer:
		cmd = ipvsCmdDelDest
	default:
		return nil, fmt.Errorf("%q is not a write method", w.Method)
	}
	if isRealServerMethod(w.Method) {
		if err := checkFamily(w.VirtualServer.Key(), w.RealServer); err != nil {
			return nil, err
		}
	}
	req := nl.NewNetlinkRequest(int(family), unix.NLM_F_ACK)
	req.AddData(&nl.Genlmsg{Command: cmd, Version: 1})
	req.AddData(serviceAttr(toService(w.VirtualServer)))
	if isRealServerMethod(w.Method) {
		req.AddData(destAttr(w.RealServer))
	}
	return req, nil
}

func serviceAttr(s *mobyipvs.Service) *nl.RtAttr {
	a := nl.NewRtAttr(ipvsCmdAttrService, nil)
	a.AddRtAttr(ipvsSvcAttrAF, nl.Uint16Attr(s.AddressFamily))
	a.AddRtAttr(ipvsSvcAttrProtocol, nl.Uint16Attr(s.Protocol))
	a.AddRtAttr(ipvsSvcAttrAddr, rawIP(s.Address))
	a.AddRtAttr(ipvsSvcAttrPort, nl.BEUint16Attr(s.Port))
	a.AddRtAttr(ipvsSvcAttrSchedName, nl.ZeroTerminated(s.SchedName))
	// struct ip_vs_flags { flags, mask }: every flag is set as given.
	flags := append(nl.Uint32Attr(s.Flags), nl.Uint32Attr(0xffffffff)...)
	a.AddRtAttr(ipvsSvcAttrFlags, flags)
	a.AddRtAttr(ipvsSvcAttrTimeout, nl.Uint32Attr(s.Timeout))
	a.AddRtAttr(ipvsSvcAttrNetmask, nl.Uint32Attr(s.Netmask))
	return a
}

func destAttr(rs RealServer) *nl.RtAttr {
	d := toDestination(rs)
	a := nl.NewRtAttr(ipvsCmdAttrDest, nil)
	a.AddRtAttr(ipvsDestAttrAddr, rawIP(d.Address))
	a.AddRtAttr(ipvsDestAttrPort, nl.BEUint16Attr(d.Port))
	a.AddRtAttr(ipvsDestAttrFwdMethod, nl.Uint32Attr(d.ConnectionFlags&0x7))
	a.AddRtAttr(ipvsDestAttrWeight, nl.Uint32Attr(uint32(d.Weight)))
	a.AddRtAttr(ipvsDestAttrUThresh, nl.Uint32Attr(0))
	a.AddRtAttr(ipvsDestAttrLThresh, nl.Uint32Attr(0))
	a.AddRtAttr(ipvsDestAttrAF, nl.Uint16Attr(d.AddressFamily))
	return a
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
