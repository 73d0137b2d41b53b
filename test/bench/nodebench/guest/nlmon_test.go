//go:build linux

package main

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

func hdr(typ, flags uint16) []byte {
	b := make([]byte, unix.SizeofNlMsghdr)
	binary.NativeEndian.PutUint32(b[0:4], 64)
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], flags)
	return b
}

func TestToKernel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hdr   []byte
		wantK bool
	}{
		{"dump request", hdr(0x12, unix.NLM_F_REQUEST|unix.NLM_F_DUMP), true},
		{"command with ACK", hdr(0x20, unix.NLM_F_REQUEST|unix.NLM_F_ACK|unix.NLM_F_CREATE), true},
		{"dump chunk", hdr(0x10, unix.NLM_F_MULTI), false},
		{"ACK (NLMSG_ERROR 0)", hdr(unix.NLMSG_ERROR, 0), false},
		{"end of dump", hdr(unix.NLMSG_DONE, unix.NLM_F_MULTI), false},
		{"event", hdr(0x14, 0), false},
	} {
		if got := toKernel(tc.hdr); got != tc.wantK {
			t.Errorf("%s: toKernel = %v, want %v", tc.name, got, tc.wantK)
		}
	}
}
