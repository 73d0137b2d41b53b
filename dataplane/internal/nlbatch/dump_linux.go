package nlbatch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Netlink dump flags and message types (include/uapi/linux/netlink.h).
const (
	flagDump = 0x300 // NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH
	typeDone = 0x3   // NLMSG_DONE
)

// Dumper runs netlink dumps on one socket, reusing its buffers from dump to dump (a full resync
// runs one dump per virtual server). It is not safe for concurrent use.
type Dumper struct {
	req  Builder
	rbuf []byte
}

// Dump sends the dump request built by build (its Begin gets NLM_F_DUMP added) on fd and calls
// each with the payload (after the netlink header) of every answer message until the dump is
// done. The socket must not be used by anything else meanwhile. Answers to other sequence numbers
// (late answers to an earlier request) are skipped.
func (d *Dumper) Dump(fd int, typ uint16, build func(b *Builder), timeout time.Duration, each func(payload []byte) error) error {
	b := &d.req
	b.Reset()
	seq := seqCounter.Add(1)
	b.Begin(typ, FlagRequest|flagDump, seq)
	build(b)
	b.End()
	if err := unix.Sendto(fd, b.Bytes(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("sending a netlink dump request: %w", err)
	}
	if d.rbuf == nil {
		d.rbuf = make([]byte, receiveBuffer)
	}
	buf := d.rbuf
	var eachErr error
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			// The kernel queues the next part of a dump while the previous one is read, so
			// this only waits when something went wrong.
			if err := waitReadable(fd, timeout); err != nil {
				return fmt.Errorf("netlink dump: %w", err)
			}
			continue
		case err != nil:
			return fmt.Errorf("netlink dump: %w", err)
		}
		for msg := buf[:n]; len(msg) >= headerLen; {
			l := int(binary.NativeEndian.Uint32(msg[0:]))
			if l < headerLen || l > len(msg) {
				return fmt.Errorf("netlink dump: malformed message of length %d", l)
			}
			typ, mseq := binary.NativeEndian.Uint16(msg[4:]), binary.NativeEndian.Uint32(msg[8:])
			payload := msg[headerLen:l]
			msg = msg[min(align(l), len(msg)):]
			if mseq != seq {
				continue
			}
			switch typ {
			case typeDone, typeError:
				// Both carry the dump's result code (NLMSG_DONE since Linux 4.x does too).
				if len(payload) >= 4 {
					if code := int32(binary.NativeEndian.Uint32(payload)); code != 0 {
						return syscall.Errno(-code)
					}
				}
				return eachErr
			default:
				// Keep reading to the end of the dump even after a bad message, so its
				// remaining parts do not wait in the socket.
				if err := each(payload); err != nil && eachErr == nil {
					eachErr = err
				}
			}
		}
	}
}
