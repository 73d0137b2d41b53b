//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/test/bench/nodebench/nbapi"
)

// nlCounter counts every netlink message the guest's kernel passes (the nlmon tap device sees
// rtnetlink, generic netlink — IPVS — and nfnetlink — ipset, nftables — traffic of every process)
// by direction, without slowing the agent down: strace under TCG stopped kube-proxy at each call
// and turned a minutes-long sync into an hours-long one. One message here is one skb: a netlink
// sendmsg, or one datagram a recvmsg returns (a batch or a multi-part dump chunk counts once).
type nlCounter struct {
	fd                     int
	toKernel, toUser, drop atomic.Int64
}

// htons is the network byte order the packet socket's protocol field wants.
func htons(v uint16) uint16 { return v<<8 | v>>8 }

func startNlmon() (*nlCounter, error) {
	link := &netlink.GenericLink{LinkAttrs: netlink.LinkAttrs{Name: "nlmon0"}, LinkType: "nlmon"}
	if err := netlink.LinkAdd(link); err != nil {
		return nil, fmt.Errorf("nlmon0 (nlmon module loaded?): %w", err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return nil, err
	}
	l, err := netlink.LinkByName("nlmon0")
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, err
	}
	// Room for bursts (a full sync writes tens of thousands of messages in seconds); losses are
	// still counted (PACKET_STATISTICS) and reported, never hidden.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 256<<20)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: l.Attrs().Index}); err != nil {
		return nil, err
	}
	c := &nlCounter{fd: fd}
	go c.read()
	return c, nil
}

func (c *nlCounter) read() {
	// The first message header is enough (MSG_TRUNC skips copying the rest of the skb).
	buf := make([]byte, unix.SizeofNlMsghdr)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, unix.MSG_TRUNC)
		if err != nil || n < unix.SizeofNlMsghdr {
			continue
		}
		if toKernel(buf) {
			c.toKernel.Add(1)
		} else {
			c.toUser.Add(1)
		}
	}
}

// toKernel tells the direction from the skb's first netlink header: the kernel acts only on
// messages flagged NLM_F_REQUEST (a batch's BEGIN carries it too), and never sets it on what it
// sends (replies, ACKs, dump chunks, events). The packet socket's own direction field cannot
// tell: the nlmon device transmits every copy, so each one arrives as PACKET_OUTGOING.
func toKernel(hdr []byte) bool {
	flags := binary.NativeEndian.Uint16(hdr[6:8])
	return flags&unix.NLM_F_REQUEST != 0
}

// counts returns the totals so far; reading the socket's statistics resets them, so drops are
// accumulated here.
func (c *nlCounter) counts() nbapi.NetlinkCount {
	if st, err := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		c.drop.Add(int64(st.Drops))
	}
	return nbapi.NetlinkCount{Writes: int(c.toKernel.Load()), Reads: int(c.toUser.Load()), Dropped: int(c.drop.Load())}
}
