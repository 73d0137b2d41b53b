package nlbatch

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLost is reported for the messages of a chunk whose fate is unknown: the kernel's answers
// were dropped (the receive buffer overflowed) or never came.
var ErrLost = errors.New("netlink answer lost; the write may or may not have been applied")

// receiveBuffer is large enough for any answer (an error answer carries a copy of the request).
const receiveBuffer = 1 << 16

// Exec sends the chunk on the netlink socket fd (bound, in the right namespace, used by nothing
// else meanwhile) and sets errs[owner] for each message the kernel refused (a syscall.Errno) or
// whose answer was lost; errs[owner] of an applied message is left as it is. timeout bounds the
// wait for an answer.
func (c *Chunk) Exec(fd int, errs []error, timeout time.Duration) {
	if c.Len() == 0 {
		return
	}
	fail := func(from int, err error) {
		for i := from; i < len(c.owners); i++ {
			if errs[c.owners[i]] == nil {
				errs[c.owners[i]] = err
			}
		}
	}
	if err := unix.Sendto(fd, c.finish(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		fail(0, fmt.Errorf("sending %d netlink requests: %w", c.Len(), err))
		return
	}
	if c.rbuf == nil {
		c.rbuf = make([]byte, receiveBuffer)
	}
	buf := c.rbuf
	lastSeq := c.seqs[len(c.seqs)-1]
	overflowed := false
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN) && overflowed:
			return // every answer still queued was read; the rest were dropped
		case errors.Is(err, unix.EAGAIN):
			// The kernel answers inside sendmsg, so this only waits when something went wrong.
			if err := waitReadable(fd, timeout); err != nil {
				fail(0, fmt.Errorf("%w: %w", ErrLost, err))
				return
			}
			continue
		case errors.Is(err, unix.ENOBUFS):
			// Some answers were dropped, so which writes failed is unknown: every message
			// not known to have failed is reported lost. The answers still queued are read
			// (a later chunk would skip them anyway: unknown sequence numbers).
			overflowed = true
			fail(0, fmt.Errorf("%w: %w", ErrLost, err))
			continue
		case err != nil:
			fail(0, fmt.Errorf("%w: %w", ErrLost, err))
			return
		}
		for _, a := range ParseAnswers(buf[:n]) {
			i := c.index(a.Seq)
			if i < 0 {
				continue // a late answer to an earlier chunk
			}
			if a.Errno != 0 {
				errs[c.owners[i]] = syscall.Errno(a.Errno)
			}
			if a.Seq == lastSeq {
				return
			}
		}
	}
}

// waitReadable waits until fd has something to read.
func waitReadable(fd int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("no answer within %s", timeout)
		}
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(left.Milliseconds())+1)
		switch {
		case errors.Is(err, unix.EINTR):
		case err != nil:
			return err
		case n > 0:
			return nil
		}
	}
}
