//go:build linux

package main

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

func hdr(typ, flags uint16) []byte {
	b := make([]byte, unix.SizeofNlMsghdr)
	binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:6], typ)
	binary.NativeEndian.PutUint16(b[6:8], flags)
	return b
}

func withPayload(h []byte, payload ...byte) []byte {
	b := append(append([]byte(nil), h...), payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)))
	return b
}

func TestClassify(t *testing.T) {
	const ipvs = 0x1b
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	req := uint16(unix.NLM_F_REQUEST)
	for _, tc := range []struct {
		name  string
		proto uint16
		skb   []byte
		want  skbClass
	}{
		{"rtnetlink dump", unix.NETLINK_ROUTE, hdr(unix.RTM_GETADDR, req|unix.NLM_F_DUMP), skbClass{true, 1, 0, 1}},
		{"rtnetlink address add", unix.NETLINK_ROUTE, hdr(unix.RTM_NEWADDR, req|unix.NLM_F_ACK|unix.NLM_F_CREATE), skbClass{true, 1, 1, 0}},
		{"rtnetlink single get", unix.NETLINK_ROUTE, hdr(unix.RTM_GETLINK, req), skbClass{true, 1, 0, 1}},
		{"IPVS new destination", unix.NETLINK_GENERIC, withPayload(hdr(ipvs, req|unix.NLM_F_ACK), 5, 1, 0, 0), skbClass{true, 1, 1, 0}},
		{"IPVS get service", unix.NETLINK_GENERIC, withPayload(hdr(ipvs, req|unix.NLM_F_ACK), 4, 1, 0, 0), skbClass{true, 1, 0, 1}},
		{"genl family lookup", unix.NETLINK_GENERIC, withPayload(hdr(unix.GENL_ID_CTRL, req), unix.CTRL_CMD_GETFAMILY, 1, 0, 0), skbClass{true, 1, 0, 1}},
		{"nft batch: begin, two rules, end", unix.NETLINK_NETFILTER, cat(hdr(unix.NFNL_MSG_BATCH_BEGIN, req),
			hdr(subsysNFT<<8|6, req|unix.NLM_F_CREATE), hdr(subsysNFT<<8|6, req|unix.NLM_F_CREATE), hdr(unix.NFNL_MSG_BATCH_END, req)), skbClass{true, 4, 2, 0}},
		{"nft get generation", unix.NETLINK_NETFILTER, hdr(subsysNFT<<8|16, req), skbClass{true, 1, 0, 1}},
		{"ipset protocol then add", unix.NETLINK_NETFILTER, cat(hdr(subsysIPSet<<8|1, req), hdr(subsysIPSet<<8|9, req)), skbClass{true, 2, 1, 1}},
		{"dump chunk of two", unix.NETLINK_GENERIC, cat(hdr(ipvs, unix.NLM_F_MULTI), hdr(ipvs, unix.NLM_F_MULTI)), skbClass{false, 2, 0, 0}},
		{"ACK (NLMSG_ERROR 0)", unix.NETLINK_GENERIC, hdr(unix.NLMSG_ERROR, 0), skbClass{false, 1, 0, 0}},
		{"event", unix.NETLINK_ROUTE, hdr(unix.RTM_NEWADDR, 0), skbClass{false, 1, 0, 0}},
		{"truncated tail ignored", unix.NETLINK_ROUTE, append(hdr(unix.RTM_NEWROUTE, req), 1, 2, 3), skbClass{true, 1, 1, 0}},
	} {
		if got := classify(tc.proto, tc.skb, ipvs); got != tc.want {
			t.Errorf("%s: classify = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
