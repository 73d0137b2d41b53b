package agent

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// TestWriteStatus checks the exact `ipvsadm -Ln` layout, including the seeds' example line.
func TestWriteStatus(t *testing.T) {
	k := ipvs.NewFake()
	k.Load(ipvs.Table{
		{
			VirtualServer: ipvs.VirtualServer{Address: netip.MustParseAddr("10.10.227.188"), Protocol: ipvs.TCP, Port: 80,
				Scheduler: "rr", Persistent: true, Timeout: 10800},
			RealServers: []ipvs.RealServer{
				{Address: netip.MustParseAddr("10.244.1.5"), Port: 8080, Weight: 1},
				{Address: netip.MustParseAddr("10.244.2.7"), Port: 8080, Weight: 0, ActiveConns: 3, InactiveConns: 12},
			},
		},
		{
			VirtualServer: ipvs.VirtualServer{Address: netip.MustParseAddr("10.96.0.10"), Protocol: ipvs.UDP, Port: 53, Scheduler: "rr"},
			RealServers:   []ipvs.RealServer{{Address: netip.MustParseAddr("10.244.1.9"), Port: 53, Weight: 1}},
		},
		{
			VirtualServer: ipvs.VirtualServer{Address: netip.MustParseAddr("fd00:10:96::1"), Protocol: ipvs.SCTP, Port: 9000, Scheduler: "sh"},
		},
	})
	var out bytes.Buffer
	if err := WriteStatus(&out, DefaultStatusHeader, k); err != nil {
		t.Fatal(err)
	}
	want := `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.10.227.188:80 rr persistent 10800
  -> 10.244.1.5:8080              Masq    1      0          0
  -> 10.244.2.7:8080              Masq    0      3          12
UDP  10.96.0.10:53 rr
  -> 10.244.1.9:53                Masq    1      0          0
SCTP [fd00:10:96::1]:9000 sh
`
	if got := out.String(); got != want {
		t.Fatalf("status output:\n%s\nwant:\n%s", got, want)
	}
}

// TestWriteStatusReadError surfaces a kernel read failure instead of printing a partial table.
func TestWriteStatusReadError(t *testing.T) {
	k := ipvs.NewFake()
	k.FailNext(ipvs.MethodListVirtualServers, ipvs.ErrNotFound, 1)
	var out bytes.Buffer
	if err := WriteStatus(&out, DefaultStatusHeader, k); err == nil {
		t.Fatal("WriteStatus succeeded on a failing kernel read")
	}
	if out.Len() != 0 {
		t.Fatalf("printed %q on error", out.String())
	}
}
