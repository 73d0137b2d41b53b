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
// by direction, without stopping the agent: strace under TCG stopped kube-proxy at each call and
// turned a minutes-long sync into an hours-long one. The tap exists only while the device is up
// (setEnabled), so the timed passes pay nothing for it.
type nlCounter struct {
	fd   int
	link netlink.Link
	// ipvsFamily is IPVS's generic netlink family id (assigned when ip_vs loads).
	ipvsFamily uint16
	// commands are messages to the kernel that change something (a batch counts each of its
	// messages); dumps are read requests (dumps and gets); readSkbs are skbs delivered to processes (one recvmsg
	// each) and readMsgs the messages in them.
	commands, dumps, readSkbs, readMsgs, truncated, drop atomic.Int64
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
	c := &nlCounter{fd: fd, link: l}
	if f, err := netlink.GenlFamilyGet("IPVS"); err == nil {
		c.ipvsFamily = f.ID
	} else {
		fmt.Printf("slicelb-nodebench: IPVS generic netlink family: %v (its gets count as commands)\n", err)
	}
	go c.read()
	return c, nil
}

// setEnabled brings the nlmon device up (the kernel starts copying every netlink message to it)
// or down (no tap, no cost).
func (c *nlCounter) setEnabled(on bool) error {
	if on {
		return netlink.LinkSetUp(c.link)
	}
	return netlink.LinkSetDown(c.link)
}

// maxSkb is how much of one skb is read: netlink skbs are at most a few pages (dump chunks
// ~32 KiB); a larger batch is counted up to here and reported as truncated.
const maxSkb = 1 << 20

func (c *nlCounter) read() {
	buf := make([]byte, maxSkb)
	for {
		n, from, err := unix.Recvfrom(c.fd, buf, unix.MSG_TRUNC)
		if err != nil || n < unix.SizeofNlMsghdr {
			continue
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok {
			continue
		}
		if n > len(buf) {
			c.truncated.Add(1)
			n = len(buf)
		}
		// The tap puts the netlink protocol (NETLINK_ROUTE, _GENERIC, _NETFILTER) in the packet's
		// protocol field, in network byte order.
		cl := classify(htons(ll.Protocol), buf[:n], c.ipvsFamily)
		if cl.toKernel {
			c.commands.Add(int64(cl.commands))
			c.dumps.Add(int64(cl.reads))
		} else {
			c.readSkbs.Add(1)
			c.readMsgs.Add(int64(cl.messages))
		}
	}
}

// skbClass is what one skb carried.
type skbClass struct {
	toKernel                  bool
	messages, commands, reads int
}

// classify walks the skb's netlink messages. The direction comes from the first header: the
// kernel acts only on messages flagged NLM_F_REQUEST (a batch's BEGIN carries it too) and never
// sets it on what it sends (replies, ACKs, dump chunks, events). The packet socket's own
// direction field cannot tell: nlmon transmits every copy, so each arrives as PACKET_OUTGOING.
// A request is a read when it is a dump or a get (isGet), a command otherwise; nfnetlink's batch
// BEGIN/END frames are neither.
func classify(proto uint16, skb []byte, ipvsFamily uint16) skbClass {
	var cl skbClass
	for off := 0; off+unix.SizeofNlMsghdr <= len(skb); {
		l := int(binary.NativeEndian.Uint32(skb[off : off+4]))
		typ := binary.NativeEndian.Uint16(skb[off+4 : off+6])
		flags := binary.NativeEndian.Uint16(skb[off+6 : off+8])
		if off == 0 {
			cl.toKernel = flags&unix.NLM_F_REQUEST != 0
		}
		cl.messages++
		if cl.toKernel {
			var payload []byte
			if end := off + l; l >= unix.SizeofNlMsghdr && end <= len(skb) {
				payload = skb[off+unix.SizeofNlMsghdr : end]
			}
			switch {
			case flags&unix.NLM_F_DUMP == unix.NLM_F_DUMP || isGet(proto, typ, payload, ipvsFamily):
				cl.reads++
			case proto == unix.NETLINK_NETFILTER && (typ == unix.NFNL_MSG_BATCH_BEGIN || typ == unix.NFNL_MSG_BATCH_END):
			default:
				cl.commands++
			}
		}
		if l < unix.SizeofNlMsghdr {
			break
		}
		off += (l + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
	}
	return cl
}

// Get commands of the families the agents use (from the kernel's uapi headers).
var (
	// IPVS_CMD_GET_SERVICE, _GET_DEST, _GET_DAEMON, _GET_CONFIG, _GET_INFO.
	ipvsGets = map[byte]bool{4: true, 8: true, 11: true, 13: true, 15: true}
	// IPSET_CMD_PROTOCOL, _LIST, _SAVE, _TEST, _HEADER, _TYPE, _GET_BYNAME, _GET_BYINDEX.
	ipsetGets = map[uint16]bool{1: true, 7: true, 8: true, 11: true, 12: true, 13: true, 14: true, 15: true}
	// NFT_MSG_GETTABLE, _GETCHAIN, _GETRULE, _GETSET, _GETSETELEM, _GETGEN, _GETOBJ,
	// _GETOBJ_RESET, _GETFLOWTABLE, _GETRULE_RESET.
	nftGets = map[uint16]bool{1: true, 4: true, 7: true, 10: true, 13: true, 16: true, 19: true, 21: true, 23: true, 25: true}
)

// nfnetlink subsystems (NFNL_SUBSYS_IPSET, NFNL_SUBSYS_NFTABLES).
const (
	subsysIPSet = 6
	subsysNFT   = 10
)

// isGet reports whether a request reads without changing anything: rtnetlink's RTM_GET* (type
// 4k+2), a generic netlink family lookup or IPVS get, an ipset or nftables get.
func isGet(proto, typ uint16, payload []byte, ipvsFamily uint16) bool {
	switch proto {
	case unix.NETLINK_ROUTE:
		return typ >= unix.RTM_BASE && typ&3 == 2
	case unix.NETLINK_GENERIC:
		if len(payload) == 0 {
			return false
		}
		switch typ {
		case unix.GENL_ID_CTRL:
			return payload[0] == unix.CTRL_CMD_GETFAMILY
		case ipvsFamily:
			return ipvsGets[payload[0]]
		}
	case unix.NETLINK_NETFILTER:
		switch typ >> 8 {
		case subsysIPSet:
			return ipsetGets[typ&0xff]
		case subsysNFT:
			return nftGets[typ&0xff]
		}
	}
	return false
}

// counts returns the totals so far; reading the socket's statistics resets them, so drops are
// accumulated here.
func (c *nlCounter) counts() nbapi.NetlinkCount {
	if st, err := unix.GetsockoptTpacketStats(c.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err == nil {
		c.drop.Add(int64(st.Drops))
	}
	return nbapi.NetlinkCount{Writes: int(c.commands.Load()), Reads: int(c.dumps.Load()), Replies: int(c.readSkbs.Load()),
		ReplyMessages: int(c.readMsgs.Load()), Dropped: int(c.drop.Load()), Truncated: int(c.truncated.Load())}
}
