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

// Timeout bounds every client operation; under TCG a healthy round trip takes a few milliseconds.
const Timeout = 3 * time.Second

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

// TCP makes one short connection from ns to addr and returns the greeting.
func TCP(ns netns.NsHandle, addr netip.AddrPort) (Reply, error) {
	c, rep, err := Open(ns, addr)
	if err != nil {
		return Reply{}, err
	}
	return rep, c.Close()
}

// UDP sends one datagram from ns to addr and returns the answer.
func UDP(ns netns.NsHandle, addr netip.AddrPort) (Reply, error) {
	var pc net.Conn
	err := Do(ns, func() error {
		var err error
		pc, err = net.Dial("udp", addr.String())
		return err
	})
	if err != nil {
		return Reply{}, err
	}
	defer func() { _ = pc.Close() }()
	if err := pc.SetDeadline(time.Now().Add(Timeout)); err != nil {
		return Reply{}, err
	}
	if _, err := pc.Write([]byte("hello\n")); err != nil {
		return Reply{}, err
	}
	buf := make([]byte, 1500)
	n, err := pc.Read(buf)
	if err != nil {
		return Reply{}, err
	}
	return parseReply(string(buf[:n]))
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
