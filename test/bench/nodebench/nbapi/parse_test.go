package nbapi

import "testing"

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

func TestNetlinkCountSub(t *testing.T) {
	if got := (NetlinkCount{10, 9, 8, 7, 1, 2}).Sub(NetlinkCount{4, 3, 2, 1, 1, 0}); got != (NetlinkCount{6, 6, 6, 6, 0, 2}) {
		t.Fatalf("Sub = %+v", got)
	}
}
