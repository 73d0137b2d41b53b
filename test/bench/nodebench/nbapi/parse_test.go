package nbapi

import (
	"strings"
	"testing"
)

func TestCountTrace(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want TraceCount
	}{
		{"empty", "", TraceCount{}},
		{"one send one receive", "123 sendto(3<NETLINK:[GENERIC:123]>, ...) = 44\n123 recvfrom(3<NETLINK:[GENERIC:123]>, ...) = 36\n", TraceCount{1, 1}},
		{"sendmsg and recvmsg without pid", "sendmsg(4<NETLINK:[NETFILTER:9]>, {}, 0) = 20\nrecvmsg(4<NETLINK:[NETFILTER:9]>, {}, 0) = 20\n", TraceCount{1, 1}},
		{"split call counted once", "77 recvmsg(5<NETLINK:[ROUTE:77]>, <unfinished ...>\n78 sendto(6<TCP:[1]>, \"x\", 1, 0, NULL, 0) = 1\n77 <... recvmsg resumed>{}, 0) = 100\n", TraceCount{0, 1}},
		{"TCP and UNIX sockets are not netlink", "9 sendto(7<TCPv6:[2]>, ...) = 5\n9 recvfrom(8<UNIX:[3]>, ...) = 2\n", TraceCount{}},
		{"bracketed pid", "[pid  4242] sendmsg(3<NETLINK:[GENERIC:4242]>, {}, 0) = 52\n", TraceCount{1, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CountTrace(strings.NewReader(tc.in))
			if err != nil || got != tc.want {
				t.Fatalf("CountTrace = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestVmHWM(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"Name:\tkube-proxy\nVmPeak:\t 1000 kB\nVmHWM:\t   53412 kB\nVmRSS:\t 50000 kB\n", 53412},
		{"Name:\tzombie\n", 0},
		{"VmHWM:\n", 0},
	} {
		if got := VmHWM(tc.in); got != tc.want {
			t.Errorf("VmHWM(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestTraceCountSub(t *testing.T) {
	if got := (TraceCount{10, 7}).Sub(TraceCount{4, 2}); got != (TraceCount{6, 5}) {
		t.Fatalf("Sub = %+v", got)
	}
}
