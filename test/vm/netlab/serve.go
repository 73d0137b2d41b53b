package netlab

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Reply is what a server answers: its name and the source address it saw (which tells whether the
// packet was masqueraded on the way).
type Reply struct {
	Name   string
	Source string
}

func parseReply(line string) (Reply, error) {
	name, src, ok := strings.Cut(strings.TrimSpace(line), " ")
	if !ok {
		return Reply{}, fmt.Errorf("malformed reply %q", line)
	}
	return Reply{Name: name, Source: src}, nil
}

// Serve starts a TCP and a UDP server on port inside the host, for both IP families. The TCP server answers on accept and
// then once per line the client sends, until the client closes; the UDP server answers every datagram.
func (h *Host) Serve(port int) error {
	var tl net.Listener
	var ul net.PacketConn
	err := Do(h.NS, func() error {
		var err error
		if tl, err = net.Listen("tcp", fmt.Sprintf(":%d", port)); err != nil {
			return err
		}
		ul, err = net.ListenPacket("udp", fmt.Sprintf(":%d", port))
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: listening on %d: %w", h.Name, port, err)
	}
	go h.acceptLoop(tl)
	go h.udpLoop(ul)
	h.servers = append(h.servers, func() { _ = tl.Close(); _ = ul.Close() })
	return nil
}

func (h *Host) answer(remote net.Addr) string {
	host, _, _ := net.SplitHostPort(remote.String())
	return h.Name + " " + host + "\n"
}

func (h *Host) acceptLoop(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go func() {
			defer func() { _ = c.Close() }()
			msg := h.answer(c.RemoteAddr())
			if _, err := c.Write([]byte(msg)); err != nil {
				return
			}
			r := bufio.NewReader(c)
			for {
				if _, err := r.ReadString('\n'); err != nil {
					return
				}
				if _, err := c.Write([]byte(msg)); err != nil {
					return
				}
			}
		}()
	}
}

func (h *Host) udpLoop(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		_, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		_, _ = pc.WriteTo([]byte(h.answer(from)), from)
	}
}
