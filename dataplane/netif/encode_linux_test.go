package netif

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/internal/nlbatch"
)

func attr(typ uint16, data []byte) []byte {
	h := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
	b := append(binary.NativeEndian.AppendUint16(h, typ), data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// A VIP's route request is struct rtmsg (host prefix, table local, slicelb's protocol, scope host,
// type local) plus RTA_DST and RTA_OIF: what `ip route add local VIP/32 dev slicelb0 table local
// proto 211 scope host` sends. No RTA_PREFSRC and no RTA_PRIORITY (see encodeRoute).
func TestEncodeRoute(t *testing.T) {
	idx := binary.NativeEndian.AppendUint32(nil, 7)
	v6 := netip.MustParseAddr("fd00::a")
	for _, tc := range []struct {
		addr string
		want []byte
	}{
		{"10.96.0.1", bytes.Join([][]byte{
			{unix.AF_INET, 32, 0, 0, 255, 211, 254, 2, 0, 0, 0, 0},
			attr(unix.RTA_DST, []byte{10, 96, 0, 1}), attr(unix.RTA_OIF, idx)}, nil)},
		{"fd00::a", bytes.Join([][]byte{
			{unix.AF_INET6, 128, 0, 0, 255, 211, 254, 2, 0, 0, 0, 0},
			attr(unix.RTA_DST, v6.AsSlice()), attr(unix.RTA_OIF, idx)}, nil)},
	} {
		var b nlbatch.Builder
		encodeRoute(&b, 7, netip.MustParseAddr(tc.addr))
		if !bytes.Equal(b.Bytes(), tc.want) {
			t.Errorf("%s: encoded\n%x\nwant\n%x", tc.addr, b.Bytes(), tc.want)
		}
	}
}

// An older agent's VIP address is removed with struct ifaddrmsg (host prefix) plus IFA_LOCAL and
// IFA_ADDRESS, both the VIP: what `ip addr del VIP/32 dev slicelb0` sends.
func TestEncodeAddr(t *testing.T) {
	idx := binary.NativeEndian.AppendUint32(nil, 7)
	for _, tc := range []struct {
		addr string
		want []byte
	}{
		{"10.96.0.1", bytes.Join([][]byte{{unix.AF_INET, 32, 0, 0}, idx,
			attr(unix.IFA_LOCAL, []byte{10, 96, 0, 1}), attr(unix.IFA_ADDRESS, []byte{10, 96, 0, 1})}, nil)},
		{"fd00::a", bytes.Join([][]byte{{unix.AF_INET6, 128, 0, 0}, idx,
			attr(unix.IFA_LOCAL, netip.MustParseAddr("fd00::a").AsSlice()),
			attr(unix.IFA_ADDRESS, netip.MustParseAddr("fd00::a").AsSlice())}, nil)},
	} {
		var b nlbatch.Builder
		encodeAddr(&b, 7, netip.MustParseAddr(tc.addr))
		if !bytes.Equal(b.Bytes(), tc.want) {
			t.Errorf("%s: encoded\n%x\nwant\n%x", tc.addr, b.Bytes(), tc.want)
		}
	}
}
