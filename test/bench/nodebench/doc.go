// Package nodebench is the bench's node-agent comparison: on a local control plane
// (test/cluster) the harness writes N ClusterIP Services × M ready endpoints directly (no
// controller), then one VM boot (test/vm's kernel, test/vmnode's network) runs kube-proxy v1.37.1
// in IPVS mode and then the real slicelb-node against those objects, one after the other with a
// cleanup in between, and measures each one's full sync, one endpoint change and a no-op periodic
// sync: wall time, its own sync-duration metric, netlink messages (a separate pass, counted by
// the guest kernel's nlmon tap) and peak RSS.
package nodebench
