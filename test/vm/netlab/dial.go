package netlab

import (
	"bufio"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/vishvananda/netns"
)

// Timeout bounds every client operation. A healthy round trip under TCG takes a few milliseconds,
// but the guest has one emulated CPU: on a busy host a run of the agent, the Go runtime or the
// kernel can stall a server for seconds. No spec expects a connection to fail, so a generous bound
// only delays the report of a real failure; it never hides one (slow is not lost).
const Timeout = 10 * time.Second

// Conn is an open TCP connection to a server of this package.
type Conn struct {
	c net.Conn
	r *bufio.Reader
}

// Open connects from namespace ns to addr and returns the connection with the server's greeting.
func Open(ns netns.NsHandle, addr netip.AddrPort) (*Conn, Reply, error) {
	var c net.Conn
	err := Do(ns, func() error {
		var err error
		c, err = net.DialTimeout("tcp", addr.String(), Timeout)
		return err
	})
	if err != nil {
		return nil, Reply{}, err
	}
	conn := &Conn{c: c, r: bufio.NewReader(c)}
	rep, err := conn.read()
	if err != nil {
		_ = c.Close()
		return nil, Reply{}, err
	}
	return conn, rep, nil
}

func (c *Conn) read() (Reply, error) {
	if err := c.c.SetDeadline(time.Now().Add(Timeout)); err != nil {
		return Reply{}, err
	}
	line, err := c.r.ReadString('\n')
	if err != nil {
		return Reply{}, err
	}
	return parseReply(line)
}

// Ask sends a line on the open connection and reads the answer.
func (c *Conn) Ask() (Reply, error) {
	if err := c.c.SetDeadline(time.Now().Add(Timeout)); err != nil {
		return Reply{}, err
	}
	if _, err := c.c.Write([]byte("again\n")); err != nil {
		return Reply{}, err
	}
	return c.read()
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Reset aborts the connection with a RST (SO_LINGER 0). IPVS then moves its entry to the CLOSE
// state, which expires after 10 s, instead of TIME_WAIT's 2 minutes: a drained real server's
// connection counters reach zero in seconds.
func (c *Conn) Reset() error {
	if tc, ok := c.c.(*net.TCPConn); ok {
		if err := tc.SetLinger(0); err != nil {
			return err
		}
	}
	return c.c.Close()
}

// TCP makes one short connection from ns to addr and returns the greeting.
func TCP(ns netns.NsHandle, addr netip.AddrPort) (Reply, error) {
	c, rep, err := Open(ns, addr)
	if err != nil {
		return Reply{}, err
	}
	return rep, c.Close()
}

// UDPConn is a UDP socket with a fixed source port, so consecutive datagrams belong to one flow
// (one IPVS connection and one conntrack entry), as a DNS client's do.
type UDPConn struct {
	c net.Conn
}

// OpenUDP creates a UDP socket in ns "connected" to addr.
func OpenUDP(ns netns.NsHandle, addr netip.AddrPort) (*UDPConn, error) {
	var c net.Conn
	err := Do(ns, func() error {
		var err error
		c, err = net.Dial("udp", addr.String())
		return err
	})
	if err != nil {
		return nil, err
	}
	return &UDPConn{c: c}, nil
}

// Ask sends one datagram and waits up to timeout for the answer.
func (u *UDPConn) Ask(timeout time.Duration) (Reply, error) {
	if err := u.c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return Reply{}, err
	}
	if _, err := u.c.Write([]byte("hello\n")); err != nil {
		return Reply{}, err
	}
	buf := make([]byte, 1500)
	n, err := u.c.Read(buf)
	if err != nil {
		return Reply{}, err
	}
	return parseReply(string(buf[:n]))
}

// LocalPort is the socket's source port.
func (u *UDPConn) LocalPort() uint16 { return uint16(u.c.LocalAddr().(*net.UDPAddr).Port) }

// Close closes the socket.
func (u *UDPConn) Close() error { return u.c.Close() }

// UDP sends one datagram from a fresh socket in ns to addr and returns the answer.
func UDP(ns netns.NsHandle, addr netip.AddrPort) (Reply, error) {
	u, err := OpenUDP(ns, addr)
	if err != nil {
		return Reply{}, err
	}
	defer func() { _ = u.Close() }()
	return u.Ask(Timeout)
}

// Split makes n short TCP connections from ns to addr and counts the answers by server name.
// Failed connections are counted under the key "error".
func Split(ns netns.NsHandle, addr netip.AddrPort, n int) map[string]int {
	counts := map[string]int{}
	for range n {
		rep, err := TCP(ns, addr)
		if err != nil {
			counts["error"]++
			continue
		}
		counts[rep.Name]++
	}
	return counts
}

// Format renders counts as "a=10 b=10" in key order, for the measured numbers the suite prints.
func Format(counts map[string]int) string {
	s := ""
	for i, k := range slices.Sorted(maps.Keys(counts)) {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s=%d", k, counts[k])
	}
	return s
}
