package proxier

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

func TestNodeFromObject(t *testing.T) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: thisNode}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{
		{Type: corev1.NodeHostName, Address: "node-a.example"},
		{Type: corev1.NodeInternalIP, Address: "fd00:192::10"},
		{Type: corev1.NodeInternalIP, Address: "192.168.0.10"},
		{Type: corev1.NodeExternalIP, Address: "198.51.100.10"},
		{Type: corev1.NodeExternalIP, Address: "::ffff:192.168.0.10"}, // same address, IPv4-mapped
		{Type: corev1.NodeInternalDNS, Address: "10.0.0.1"},
		{Type: corev1.NodeInternalIP, Address: "not-an-ip"},
	}}}
	assertEqual(t, "node", NodeFromObject(n), Node{Name: thisNode, Addresses: addrs("192.168.0.10", "198.51.100.10", "fd00:192::10")})
}

// A foreign virtual server on a node address outside the NodePort range keeps
// its settings even when a Service wants that very key (externalIP = node IP).
func TestConflictLeavesExistingForeignVirtualServerAlone(t *testing.T) {
	k := ipvs.NewFake()
	theirs := table(entry("TCP 192.168.0.10:80 wlc", "10.9.0.1:80 w=5"))
	k.Load(theirs)
	s := newSyncer(t, k)
	in := webInput(tcp, ep("10.1.0.1", "node-b", ready))
	in.Services[0].Spec.ExternalIPs = []string{"192.168.0.10"}
	s.sync(in, t0)
	assertTable(t, k.State(), table(append(theirs, entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080"))...))
	assertEqual(t, "conflicts", s.last.Conflicts, []ipvs.VirtualServerKey{key("TCP 192.168.0.10:80")})
}

func TestOptionsNodePortAddresses(t *testing.T) {
	n := Node{Addresses: addrs("192.168.0.10", "10.0.0.5", "fd00:192::10", "::ffff:10.0.0.5")}
	for _, tc := range []struct {
		prefixes []string
		want     []netip.Addr
	}{
		{want: addrs("192.168.0.10", "10.0.0.5", "fd00:192::10")},
		{prefixes: []string{"10.0.0.0/8"}, want: addrs("10.0.0.5")},
		{prefixes: []string{"172.16.0.0/12"}},
		{prefixes: []string{"0.0.0.0/0", "::/0"}, want: addrs("192.168.0.10", "10.0.0.5", "fd00:192::10")},
	} {
		var o Options
		for _, p := range tc.prefixes {
			o.NodePortAddresses = append(o.NodePortAddresses, netip.MustParsePrefix(p))
		}
		assertEqual(t, "node port addresses for "+fmtPrefixes(tc.prefixes), o.nodePortAddresses(n), tc.want)
	}
}

func fmtPrefixes(ps []string) string {
	if len(ps) == 0 {
		return "(default)"
	}
	return ps[0]
}
