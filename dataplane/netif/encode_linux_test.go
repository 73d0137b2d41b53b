package netif

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/internal/nlbatch"
)

// A VIP's address request is struct ifaddrmsg (host prefix, NODAD for IPv6) plus IFA_LOCAL and
// IFA_ADDRESS, both the VIP: what `ip addr add VIP/32 dev slicelb0` sends.
func TestEncodeAddr(t *testing.T) {
	idx := binary.NativeEndian.AppendUint32(nil, 7)
	attr := func(typ uint16, data []byte) []byte {
		h := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
		return append(binary.NativeEndian.AppendUint16(h, typ), data...)
	}
	for _, tc := range []struct {
		addr string
		want []byte
	}{
		{"10.96.0.1", bytes.Join([][]byte{{unix.AF_INET, 32, 0, 0}, idx,
			attr(unix.IFA_LOCAL, []byte{10, 96, 0, 1}), attr(unix.IFA_ADDRESS, []byte{10, 96, 0, 1})}, nil)},
		{"fd00::a", bytes.Join([][]byte{{unix.AF_INET6, 128, unix.IFA_F_NODAD, 0}, idx,
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
