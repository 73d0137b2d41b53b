package proxier

import (
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

const (
	ns       = "default"
	thisNode = "node-a"
)

var (
	node4   = netip.MustParseAddr("192.168.0.10")
	node6   = netip.MustParseAddr("fd00:192::10")
	theNode = Node{Name: thisNode, Addresses: []netip.Addr{node4, node6}}
	t0      = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
)

// service returns a ClusterIP Service with the given cluster IPs and ports;
// mutators adjust the rest.
func service(name string, clusterIPs []string, ports []corev1.ServicePort, mutators ...func(*corev1.Service)) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Type:       corev1.ServiceTypeClusterIP,
			ClusterIP:  clusterIPs[0],
			ClusterIPs: clusterIPs,
			Ports:      ports,
		},
	}
	for _, m := range mutators {
		m(s)
	}
	return s
}

func sport(name string, proto corev1.Protocol, port, nodePort int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Protocol: proto, Port: port, NodePort: nodePort}
}

func eport(name string, proto corev1.Protocol, port int32) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: &name, Protocol: &proto, Port: &port}
}

// slice returns an EndpointSlice of the Service svcName.
func slice(svcName, name string, at discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: svcName}},
		AddressType: at,
		Ports:       ports,
		Endpoints:   eps,
	}
}

type cond int

const (
	ready       cond = iota // ready, serving
	notReady                // not ready, not serving, not terminating
	terminating             // serving and terminating
	terminated              // not serving, terminating
)

func ep(ip, nodeName string, c cond) discoveryv1.Endpoint {
	t, f := true, false
	e := discoveryv1.Endpoint{Addresses: []string{ip}}
	if nodeName != "" {
		e.NodeName = &nodeName
	}
	switch c {
	case ready:
		e.Conditions = discoveryv1.EndpointConditions{Ready: &t, Serving: &t, Terminating: &f}
	case notReady:
		e.Conditions = discoveryv1.EndpointConditions{Ready: &f, Serving: &f, Terminating: &f}
	case terminating:
		e.Conditions = discoveryv1.EndpointConditions{Ready: &f, Serving: &t, Terminating: &t}
	case terminated:
		e.Conditions = discoveryv1.EndpointConditions{Ready: &f, Serving: &f, Terminating: &t}
	}
	return e
}

// entry parses "TCP 10.96.0.1:80 rr [persistent N]" and real servers
// "10.1.0.1:8080" (weight 1) or "10.1.0.1:8080 w=0 a=3 i=1".
func entry(vsSpec string, rss ...string) ipvs.Entry {
	f := strings.Fields(vsSpec)
	ap := netip.MustParseAddrPort(f[1])
	protos := map[string]ipvs.Protocol{"TCP": ipvs.TCP, "UDP": ipvs.UDP, "SCTP": ipvs.SCTP}
	e := ipvs.Entry{VirtualServer: ipvs.VirtualServer{Address: ap.Addr(), Protocol: protos[f[0]], Port: ap.Port(), Scheduler: f[2]}}
	if len(f) == 5 && f[3] == "persistent" {
		t, _ := strconv.Atoi(f[4])
		e.VirtualServer.Persistent, e.VirtualServer.Timeout = true, uint32(t)
	}
	e.RealServers = []ipvs.RealServer{}
	for _, s := range rss {
		e.RealServers = append(e.RealServers, realServer(s))
	}
	ipvs.SortRealServers(e.RealServers)
	return e
}

func realServer(s string) ipvs.RealServer {
	f := strings.Fields(s)
	ap := netip.MustParseAddrPort(f[0])
	rs := ipvs.RealServer{Address: ap.Addr(), Port: ap.Port(), Weight: 1}
	for _, kv := range f[1:] {
		n, _ := strconv.Atoi(kv[2:])
		switch kv[:2] {
		case "w=":
			rs.Weight = n
		case "a=":
			rs.ActiveConns = n
		case "i=":
			rs.InactiveConns = n
		}
	}
	return rs
}

func table(es ...ipvs.Entry) ipvs.Table {
	t := ipvs.Table(es)
	if t == nil {
		t = ipvs.Table{}
	}
	t.Sort()
	return t
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func key(s string) ipvs.VirtualServerKey { return entry(s + " rr").VirtualServer.Key() }

// syncer drives PlanSync against a Fake the way the agent does, keeping the
// drain state and the bound VIPs between syncs.
type syncer struct {
	t        *testing.T
	kernel   *ipvs.Fake
	bound    []netip.Addr
	draining map[DrainKey]time.Time
	timeout  time.Duration
	last     Plan
}

func newSyncer(t *testing.T, kernel *ipvs.Fake) *syncer {
	return &syncer{t: t, kernel: kernel}
}

// sync plans and applies one sync at now and returns the number of writes.
func (s *syncer) sync(in Input, now time.Time) int {
	s.t.Helper()
	desired := BuildDesired(in)
	cur, err := ipvs.ReadTable(s.kernel, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	s.kernel.ResetCounters()
	p := PlanSync(SyncInput{
		Desired: desired, Current: cur, BoundAddresses: s.bound, NodeAddresses: in.Node.Addresses,
		Draining: s.draining, Now: now, DrainTimeout: s.timeout,
	})
	for _, op := range p.Ops {
		if err := op.Apply(s.kernel); err != nil {
			s.t.Fatalf("applying %s: %v", op, err)
		}
	}
	s.bound, s.draining, s.last = desired.BindAddresses, p.Draining, p
	return s.kernel.Writes()
}

func assertTable(t *testing.T, got, want ipvs.Table) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("kernel state:\n%s\nwant:\n%s", got, want)
	}
}

func assertEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, fmt.Sprint(got), fmt.Sprint(want))
	}
}
