//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/dataplane/netif"
	"github.com/slicelb/slicelb/test/vm/netlab"
	"github.com/slicelb/slicelb/test/vmnode/guestapi"
)

// attemptTimeout bounds one request; a VIP without a working backend then costs 5 s, not forever.
// It is generous on purpose: the guest has one emulated CPU (TCG), and while a restarted slicelb-node
// starts up it can delay a pod's answer by seconds — slow is not lost, and the reliability specs
// count a connection as failed only when it is refused, reset or never answered.
const attemptTimeout = 5 * time.Second

// control is the guest's control endpoint, reached from the host through a qemu port forward.
type control struct {
	client *netlab.Host
	pods   *pods
}

func (c *control) serve() error {
	mux := http.NewServeMux()
	mux.HandleFunc(guestapi.PathHealthz, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	mux.HandleFunc(guestapi.PathHTTP, func(w http.ResponseWriter, r *http.Request) { c.traffic(w, r, httpGet) })
	mux.HandleFunc(guestapi.PathUDP, func(w http.ResponseWriter, r *http.Request) { c.traffic(w, r, udpAsk) })
	mux.HandleFunc(guestapi.PathStatus, func(w http.ResponseWriter, _ *http.Request) {
		// stdout only: moby/ipvs warns on stderr that modprobe is missing (the modules are loaded).
		cmd := exec.Command(guestapi.NodeBinary, "status")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			http.Error(w, fmt.Sprintf("slicelb-node status: %v\n%s%s", err, out, stderr.String()), http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(out)
	})
	mux.HandleFunc(guestapi.PathAddresses, func(w http.ResponseWriter, _ *http.Request) {
		out, err := deviceAddresses()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, out)
	})
	mux.HandleFunc(guestapi.PathKillAgent, killAgent)
	mux.HandleFunc(guestapi.PathAgentMetrics, agentMetrics)
	mux.HandleFunc(guestapi.PathPods, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, c.pods.list()+"\n") })
	srv := &http.Server{Addr: fmt.Sprintf(":%d", guestapi.ControlPort), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}

// traffic runs n attempts of ask against target from the client namespace, one after another.
func (c *control) traffic(w http.ResponseWriter, r *http.Request, ask func(target, path string) (string, error)) {
	target := r.URL.Query().Get("target")
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 1 || n > 1000 || target == "" {
		http.Error(w, "want target=IP:PORT and n=1..1000", http.StatusBadRequest)
		return
	}
	path := r.URL.Query().Get("path")
	if path == "" {
		path = "/"
	}
	var out guestapi.Replies
	_ = netlab.Do(c.client.NS, func() error {
		for range n {
			reply, err := ask(target, path)
			if err != nil {
				reply = "error: " + err.Error()
			}
			out.Replies = append(out.Replies, reply)
		}
		return nil
	})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// httpGet is one HTTP/1.0 GET on a new connection (so every request is a new IPVS connection and
// the scheduler picks again, as the seeds' curl loop does). It runs on the namespace's thread:
// the socket is created by this goroutine.
func httpGet(target, path string) (string, error) {
	conn, err := net.DialTimeout("tcp4", target, attemptTimeout)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(attemptTimeout))
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, target); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return strings.TrimSpace(string(body)), nil
}

// udpAsk sends one datagram from a new socket and waits for the echo.
func udpAsk(target, _ string) (string, error) {
	conn, err := net.DialTimeout("udp4", target, attemptTimeout)
	if err != nil {
		return "", err
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(attemptTimeout))
	if _, err := conn.Write([]byte("ping\n")); err != nil {
		return "", err
	}
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(buf[:n])), nil
}

// deviceAddresses lists the VIPs slicelb-node made local on slicelb0, IPv4 and IPv6, read from
// the kernel directly: its local routes in table local on the device with slicelb's routing
// protocol (slicelb-node no longer binds VIPs as interface addresses), plus any address still
// bound to the device.
func deviceAddresses() (string, error) {
	link, err := netlink.LinkByName(netif.DefaultDevice)
	if err != nil {
		return "", fmt.Errorf("%s: %w", netif.DefaultDevice, err)
	}
	filter := &netlink.Route{LinkIndex: link.Attrs().Index, Table: unix.RT_TABLE_LOCAL, Protocol: netlink.RouteProtocol(netif.RouteProtocol)}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, filter, netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE|netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range routes {
		if r.Type == unix.RTN_LOCAL && r.Dst != nil {
			fmt.Fprintln(&b, r.Dst.IP.String())
		}
	}
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if a.IP.IsLinkLocalUnicast() {
			continue
		}
		fmt.Fprintln(&b, a.IP.String())
	}
	return b.String(), nil
}
