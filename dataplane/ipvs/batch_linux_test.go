package ipvs

import (
	"bytes"
	"net/netip"
	"testing"

	mobyipvs "github.com/moby/ipvs"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/internal/nlbatch"
)

// The hand-built batch messages are byte for byte what the netlink library built for the same
// write (the encoding this package used before, attribute by attribute as moby/ipvs sends them),
// apart from the header's flags and sequence number, which the batch assigns, and genlmsghdr's
// reserved field, which the library fills from whatever memory follows its 2-byte struct (the
// kernel ignores it; the batch writes zeros).
func TestEncodeMatchesNetlinkLibrary(t *testing.T) {
	v4 := VirtualServer{Address: netip.MustParseAddr("10.96.0.1"), Protocol: TCP, Port: 80, Scheduler: "rr"}
	v6 := VirtualServer{Address: netip.MustParseAddr("fd00::10"), Protocol: UDP, Port: 53, Scheduler: "wrr",
		Persistent: true, Timeout: 10800}
	rs4 := RealServer{Address: netip.MustParseAddr("10.128.0.7"), Port: 8080, Weight: 1}
	rs6 := RealServer{Address: netip.MustParseAddr("fd00:1::7"), Port: 5353, Weight: 0}
	const family = 0x1d
	for _, w := range []Write{
		{Method: MethodAddVirtualServer, VirtualServer: v4},
		{Method: MethodUpdateVirtualServer, VirtualServer: v6},
		{Method: MethodDeleteVirtualServer, VirtualServer: v4},
		{Method: MethodAddRealServer, VirtualServer: v4, RealServer: rs4},
		{Method: MethodUpdateRealServer, VirtualServer: v6, RealServer: rs6},
		{Method: MethodDeleteRealServer, VirtualServer: v4, RealServer: rs4},
	} {
		t.Run(string(w.Method), func(t *testing.T) {
			var c nlbatch.Chunk
			if err := encode(&c, 0, family, w); err != nil {
				t.Fatal(err)
			}
			got := normalizeHeader(c.Bytes())
			want := normalizeHeader(libraryRequest(family, commands[w.Method], w).Serialize())
			if !bytes.Equal(got, want) {
				t.Fatalf("encode =\n%x\nthe netlink library builds\n%x", got, want)
			}
		})
	}
}

func TestEncodeRefusesFamilyMismatchAndNonWrites(t *testing.T) {
	var c nlbatch.Chunk
	vs := VirtualServer{Address: netip.MustParseAddr("10.96.0.1"), Protocol: TCP, Port: 80, Scheduler: "rr"}
	if err := encode(&c, 0, 1, Write{Method: MethodAddRealServer, VirtualServer: vs,
		RealServer: RealServer{Address: netip.MustParseAddr("fd00::1"), Port: 80}}); err == nil {
		t.Error("an IPv6 real server of an IPv4 virtual server was encoded")
	}
	if err := encode(&c, 0, 1, Write{Method: "list", VirtualServer: vs}); err == nil {
		t.Error("a method that is not a write was encoded")
	}
	if c.Len() != 0 {
		t.Errorf("refused writes left %d messages in the chunk", c.Len())
	}
}

// normalizeHeader zeroes the flags and the sequence number of the (single) message, and the
// reserved field of its genlmsghdr.
func normalizeHeader(b []byte) []byte {
	out := bytes.Clone(b)
	clear(out[6:12])
	clear(out[18:20])
	return out
}

// libraryRequest is the message as github.com/vishvananda/netlink's builder makes it.
func libraryRequest(family uint16, cmd uint8, w Write) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(int(family), unix.NLM_F_ACK)
	req.AddData(&nl.Genlmsg{Command: cmd, Version: 1})
	s := toService(w.VirtualServer)
	req.AddData(libraryServiceAttr(s))
	if isRealServerMethod(w.Method) {
		d := toDestination(w.RealServer)
		a := nl.NewRtAttr(ipvsCmdAttrDest, nil)
		a.AddRtAttr(ipvsDestAttrAddr, rawIP(d.Address))
		a.AddRtAttr(ipvsDestAttrPort, nl.BEUint16Attr(d.Port))
		a.AddRtAttr(ipvsDestAttrFwdMethod, nl.Uint32Attr(d.ConnectionFlags&0x7))
		a.AddRtAttr(ipvsDestAttrWeight, nl.Uint32Attr(uint32(d.Weight)))
		a.AddRtAttr(ipvsDestAttrUThresh, nl.Uint32Attr(0))
		a.AddRtAttr(ipvsDestAttrLThresh, nl.Uint32Attr(0))
		a.AddRtAttr(ipvsDestAttrAF, nl.Uint16Attr(d.AddressFamily))
		req.AddData(a)
	}
	return req
}

func libraryServiceAttr(s *mobyipvs.Service) *nl.RtAttr {
	a := nl.NewRtAttr(ipvsCmdAttrService, nil)
	a.AddRtAttr(ipvsSvcAttrAF, nl.Uint16Attr(s.AddressFamily))
	a.AddRtAttr(ipvsSvcAttrProtocol, nl.Uint16Attr(s.Protocol))
	a.AddRtAttr(ipvsSvcAttrAddr, rawIP(s.Address))
	a.AddRtAttr(ipvsSvcAttrPort, nl.BEUint16Attr(s.Port))
	a.AddRtAttr(ipvsSvcAttrSchedName, nl.ZeroTerminated(s.SchedName))
	a.AddRtAttr(ipvsSvcAttrFlags, append(nl.Uint32Attr(s.Flags), nl.Uint32Attr(0xffffffff)...))
	a.AddRtAttr(ipvsSvcAttrTimeout, nl.Uint32Attr(s.Timeout))
	a.AddRtAttr(ipvsSvcAttrNetmask, nl.Uint32Attr(s.Netmask))
	return a
}
