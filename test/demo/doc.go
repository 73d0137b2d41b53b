// Command demo is the second half of `make demo`: on the local control plane that
// test/cluster/cmd/slicelb-localcluster started (detached, config/default applied, slicelb-controller
// running as its ServiceAccount) it creates the seeds' scenario, boots the test VM as the node
// "vm-node" running the real slicelb-node (test/vmnode), and shows the Endpoints and
// EndpointSlices, the node's IPVS table, ten requests through a ClusterIP answered by alternating
// pods, the same with ClientIP affinity (one pod), and a pod flipping not-ready leaving the
// rotation (and returning). Everything is left running; `make demo-down` stops it.
package main
