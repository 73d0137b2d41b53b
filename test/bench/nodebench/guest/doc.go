// Command guest is PID 1 of the node-agent bench's VM (test/bench/nodebench): it brings up qemu's
// user-mode network and serves a control endpoint through which the host starts kube-proxy or
// slicelb-node against the host's API server, waits for the kernel's IPVS table to show a state,
// reads the agent's metrics, counts the kernel's netlink messages (an nlmon tap) and stops and cleans up.
package main
