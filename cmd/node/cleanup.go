package main

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/dataplane/proxier"
)

// nodeLookupTimeout bounds the API call --cleanup makes; cleanup must work with the API down.
const nodeLookupTimeout = 10 * time.Second

// runCleanup removes everything the agent owns and nothing else (see agent.Syncer.Cleanup).
func runCleanup(ctx context.Context, opts options) error {
	k, err := openPorts(opts)
	if err != nil {
		return err
	}
	defer k.close()
	_, err = cleanup(ctx, k, opts)
	return err
}

// cleanup runs the agent's cleanup over the kernel ports k.
func cleanup(ctx context.Context, k *kernel, opts options) (agent.Result, error) {
	syncer, err := agent.NewSyncer(agent.SyncerOptions{
		IPVS: k.ipvs, Netif: k.netif, NAT: k.nat, Conntrack: k.conntrack, NodeName: opts.nodeName,
	})
	if err != nil {
		return agent.Result{}, err
	}
	vips, err := k.netif.Addresses()
	if err != nil {
		return agent.Result{}, err
	}
	addrs, source := cleanupNodeAddresses(ctx, opts, vips)
	res, err := syncer.Cleanup(ctx, addrs)
	ctrl.Log.Info("Cleaned up", "writes", res.Writes, "errors", res.Errors,
		"nodeAddresses", addrs, "nodeAddressesFrom", source)
	return res, err
}

// cleanupNodeAddresses returns the addresses whose NodePort-range virtual servers are ours: the
// Node's addresses when the API answers, else the host's global unicast addresses (minus the
// VIPs on slicelb0), in both cases filtered by --nodeport-addresses as the syncs were.
func cleanupNodeAddresses(ctx context.Context, opts options, vips []netip.Addr) ([]netip.Addr, string) {
	addrs, source := nodeObjectAddresses(ctx, opts), "Node"
	if addrs == nil {
		addrs, source = hostAddresses(vips), "host interfaces"
	}
	return filterPrefixes(addrs, opts.nodePortAddresses), source
}

func nodeObjectAddresses(ctx context.Context, opts options) []netip.Addr {
	if opts.nodeName == "" {
		return nil
	}
	cfg, err := restConfig(opts.kubeconfig)
	if err != nil {
		return nil
	}
	cfg.Timeout = nodeLookupTimeout
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, nodeLookupTimeout)
	defer cancel()
	var node corev1.Node
	if err := c.Get(ctx, client.ObjectKey{Name: opts.nodeName}, &node); err != nil {
		ctrl.Log.Info("Could not read the Node, using the host's addresses", "node", opts.nodeName, "error", err.Error())
		return nil
	}
	return proxier.NodeFromObject(&node).Addresses
}

func hostAddresses(vips []netip.Addr) []netip.Addr {
	ifAddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range ifAddrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := p.Addr().Unmap()
		if ip.IsGlobalUnicast() && !slices.Contains(vips, ip) && !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	return out
}

// filterPrefixes keeps the addresses inside one of prefixes (all when prefixes is empty).
func filterPrefixes(addrs []netip.Addr, prefixes []netip.Prefix) []netip.Addr {
	if len(prefixes) == 0 {
		return addrs
	}
	var out []netip.Addr
	for _, a := range addrs {
		if slices.ContainsFunc(prefixes, func(p netip.Prefix) bool { return p.Contains(a) }) {
			out = append(out, a)
		}
	}
	return out
}
