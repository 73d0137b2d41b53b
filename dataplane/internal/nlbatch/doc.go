// Package nlbatch sends many netlink requests in one sendmsg and matches the kernel's answers back
// to them, for the node agent's bulk writes (IPVS commands over generic netlink, VIP addresses over
// rtnetlink). It builds messages straight into one buffer (no per-attribute allocations) and asks
// for an acknowledgement only on the last message of a chunk: the kernel answers every failed
// message anyway (netlink_rcv_skb acks a message when it has NLM_F_ACK *or* failed), and it
// processes a netlink request synchronously inside sendmsg, in order, so the last message's
// acknowledgement means every earlier one is done and its error, if any, was queued before it.
// A chunk of N successful writes thus costs two system calls instead of N+1.
package nlbatch
