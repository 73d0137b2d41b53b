package vmnode

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/slicelb/slicelb/test/vmnode/guestapi"
)

func (n *Node) controlURL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", n.ControlPort, path)
}

func (n *Node) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := n.controlURL(path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := n.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("VM node control endpoint: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("VM node %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// HTTP makes count HTTP GETs of path on target (IP:PORT), each on a new connection, from the
// client namespace inside the VM (10.0.250.2, routed through the node's IPVS), one after another.
// It returns one answer per attempt: the body (the pod's name) or "error: ...".
func (n *Node) HTTP(ctx context.Context, target, path string, count int) ([]string, error) {
	return n.traffic(ctx, guestapi.PathHTTP, target, path, count)
}

// UDP sends count datagrams to target, each from a new socket, from the client namespace, and
// returns the answers (the pod's name) or "error: ...".
func (n *Node) UDP(ctx context.Context, target string, count int) ([]string, error) {
	return n.traffic(ctx, guestapi.PathUDP, target, "", count)
}

func (n *Node) traffic(ctx context.Context, path, target, reqPath string, count int) ([]string, error) {
	b, err := n.get(ctx, path, url.Values{"target": {target}, "path": {reqPath}, "n": {fmt.Sprint(count)}})
	if err != nil {
		return nil, err
	}
	var r guestapi.Replies
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("VM node %s: %w", path, err)
	}
	return r.Replies, nil
}

// Status is `slicelb-node status` run inside the VM: the node's IPVS table (ipvsadm -Ln layout).
func (n *Node) Status(ctx context.Context) (string, error) {
	b, err := n.get(ctx, guestapi.PathStatus, nil)
	return string(b), err
}

// Addresses are the VIPs local on the node's slicelb0 device (slicelb-node's local routes there).
func (n *Node) Addresses(ctx context.Context) ([]string, error) {
	b, err := n.get(ctx, guestapi.PathAddresses, nil)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(b)), nil
}

// Pods are the pods the kubelet stand-in runs, "namespace/name ip" each.
func (n *Node) Pods(ctx context.Context) ([]string, error) {
	b, err := n.get(ctx, guestapi.PathPods, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// KillAgent SIGKILLs slicelb-node inside the VM; the guest restarts it (as a DaemonSet would) and
// the call returns once the restarted agent is ready, with the pids and the time it was down.
func (n *Node) KillAgent(ctx context.Context) (guestapi.AgentKill, error) {
	var out guestapi.AgentKill
	b, err := n.get(ctx, guestapi.PathKillAgent, nil)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("VM node %s: %w", guestapi.PathKillAgent, err)
	}
	return out, nil
}

// AgentMetrics is the running slicelb-node's /metrics text; the node must have been started
// with NodeArgs --metrics-bind-address=127.0.0.1:10259 (guestapi.AgentMetricsPort) and
// --metrics-secure=false.
func (n *Node) AgentMetrics(ctx context.Context) (string, error) {
	b, err := n.get(ctx, guestapi.PathAgentMetrics, nil)
	return string(b), err
}
