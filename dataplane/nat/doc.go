// Package nat keeps the masquerade rules IPVS NAT mode needs, in nftables tables of the agent's own
// (`ip slicelb` and `ip6 slicelb`, each with nat chains prerouting, output and postrouting and two
// hash sets, masquerade and hairpin), and nothing else.
//
// Two kinds of traffic are masqueraded, as kube-proxy's IPVS mode does with iptables + ipset:
//
//   - Traffic to an external VIP (NodePort on a node address, externalIPs, load-balancer ingress)
//     with externalTrafficPolicy Cluster: the endpoint may be on another node, and its reply must come
//     back through this node's IPVS to be un-NATed, so the source becomes this node. By postrouting,
//     IPVS has already rewritten the destination to the endpoint, so the VIP is matched before IPVS
//     sees the packet (prerouting for traffic from outside, output for the node's own) and the
//     packet is marked with MasqueradeMark; postrouting masquerades marked packets — kube-proxy's
//     KUBE-MARK-MASQ scheme. NAT on IPVS-forwarded packets needs net/ipv4/vs/conntrack=1 (package
//     netif sets it). (Matching `ct original daddr` in postrouting would need no mark, but
//     google/nftables v0.3.0 cannot read such rules back: it decodes the ct direction attribute as
//     a u32 while the kernel sends a u8.)
//   - Hairpin: a pod that reaches itself through a Service (source == destination == the endpoint
//     after IPVS) would answer itself directly and the client socket would drop the reply; the
//     source is masqueraded to the node (kube-proxy's KUBE-LOOP-BACK set): the hairpin set holds
//     (endpoint, protocol, port, endpoint) and postrouting matches `daddr . l4proto . dport . saddr`.
//
// The rules are static (four per table); what changes are set elements, so a node with thousands of
// Services pays one hash lookup per new connection, and a Service change is an element add/delete.
//
// Why github.com/google/nftables and not sigs.k8s.io/knftables: knftables drives the `nft` binary
// (it writes a script to `nft -f -`), so the node image and the VM test's initramfs would have to
// ship nft and its libraries; google/nftables speaks nf_tables netlink directly from Go, so the
// static slicelb-node binary is all a distroless image or the VM needs, and it works in any network
// namespace through a namespace file descriptor.
//
// A sync reads the table back (rules by their nft comments, which name the layout version, and the
// set elements) and writes only the difference, in one nf_tables transaction per family: element
// adds/deletes normally, an atomic delete-and-recreate of the whole table when its layout is not
// the one this version writes. A sync with nothing to change writes nothing, also right after an
// agent restart.
package nat
