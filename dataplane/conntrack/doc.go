// Package conntrack deletes the netfilter conntrack entries of UDP flows whose IPVS real server went
// away.
//
// UDP has no connection teardown: with net/ipv4/vs/conntrack=1 every UDP "connection" through IPVS
// also has a conntrack entry whose reply tuple names the real server, and as long as the client
// keeps sending (DNS clients reuse their source port) the entry keeps steering packets to the dead
// endpoint until its timeout. kube-proxy clears these entries for the same reason
// (pkg/proxy/conntrack ClearEntriesForNAT). The filter matches exactly one virtual server → real
// server pair: protocol UDP, original destination = the VIP and port, reply source = the real
// server's address and port, so flows of other endpoints or Services are never touched.
//
// Interface is the port (it matches the agent's Conntrack port); Linux talks ctnetlink through
// github.com/vishvananda/netlink in a given network namespace; Fake records calls for unit tests.
package conntrack
