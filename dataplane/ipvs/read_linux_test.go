package ipvs

import (
	"net/netip"
	"reflect"
	"syscall"
	"testing"

	"github.com/slicelb/slicelb/dataplane/internal/nlbatch"
)

// destMessage is the payload of one IPVS_CMD_NEW_DEST dump message as the kernel builds it
// (ip_vs_genl_fill_dest): the address as a 16-byte union, then port, forwarding method, weight,
// thresholds, connection counters, statistics (nested, skipped) and, since 3.18, the family.
func destMessage(addr16 []byte, family uint16, withFamily bool, port uint16, weight, active, inactive uint32) []byte {
	var b nlbatch.Builder
	b.Fixed([]byte{5, 1, 0, 0})
	b.Nest(ipvsCmdAttrDest)
	b.Attr(ipvsDestAttrAddr, addr16)
	b.BE16(ipvsDestAttrPort, port)
	b.U32(ipvsDestAttrFwdMethod, 0)
	b.U32(ipvsDestAttrWeight, weight)
	b.U32(ipvsDestAttrUThresh, 0)
	b.U32(ipvsDestAttrLThresh, 0)
	b.U32(ipvsDestAttrActiveConns, active)
	b.U32(ipvsDestAttrInactiveConns, inactive)
	b.Nest(9) // IPVS_DEST_ATTR_STATS
	b.U32(1, 42)
	b.EndNest()
	if withFamily {
		b.U16(ipvsDestAttrAF, family)
	}
	b.EndNest()
	return b.Bytes()
}

func TestParseDest(t *testing.T) {
	v4 := append([]byte{10, 128, 0, 7}, make([]byte, 12)...)
	v6 := netip.MustParseAddr("fd00:1::7").AsSlice()
	for _, tc := range []struct {
		name       string
		payload    []byte
		serviceIs4 bool
		want       RealServer
		wantErr    bool
	}{
		{"IPv4 in the 16-byte union", destMessage(v4, syscall.AF_INET, true, 8080, 3, 2, 5), true,
			RealServer{Address: netip.MustParseAddr("10.128.0.7"), Port: 8080, Weight: 3, ActiveConns: 2, InactiveConns: 5}, false},
		{"IPv6", destMessage(v6, syscall.AF_INET6, true, 53, 0, 0, 1), false,
			RealServer{Address: netip.MustParseAddr("fd00:1::7"), Port: 53, Weight: 0, InactiveConns: 1}, false},
		{"no family attribute (kernel < 3.18): the virtual server's family", destMessage(v4, 0, false, 80, 1, 0, 0), true,
			RealServer{Address: netip.MustParseAddr("10.128.0.7"), Port: 80, Weight: 1}, false},
		{"short address", destMessage([]byte{10, 0}, syscall.AF_INET, true, 80, 1, 0, 0), true, RealServer{}, true},
		{"no destination attribute", []byte{5, 1, 0, 0}, true, RealServer{}, true},
		{"shorter than the genetlink header", []byte{5}, true, RealServer{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDest(tc.payload, tc.serviceIs4)
			if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parseDest = %+v, %v; want %+v (error: %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
