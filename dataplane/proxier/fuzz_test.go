package proxier

import (
	"net/netip"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// picker turns fuzz bytes into choices; it yields zeros once exhausted.
type picker struct{ b []byte }

func (p *picker) n(max int) int {
	if len(p.b) == 0 || max <= 1 {
		return 0
	}
	v := int(p.b[0]) % max
	p.b = p.b[1:]
	return v
}

func pick[T any](p *picker, xs ...T) T { return xs[p.n(len(xs))] }

func (p *picker) optBool() *bool { return pick(p, nil, ptr(true), ptr(false)) }

var (
	fuzzIPs   = []string{"10.96.0.1", "10.96.0.2", "fd00:96::1", "fd00:96::2", "203.0.113.1", "192.168.0.10", "None", "", "bogus", "::ffff:10.96.0.3", "0.0.0.0", "fe80::1%eth0"}
	fuzzEPIPs = []string{"10.1.0.1", "10.1.0.2", "fd00:1::1", "fd00:1::2", "::ffff:10.1.0.1", "x"}
	fuzzNames = []string{"", "http", "dns"}
	fuzzProto = []corev1.Protocol{"", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP, "ICMP"}
	fuzzPorts = []int32{0, 80, 53, 65535, 70000, -1}
)

func fuzzInput(data []byte) Input { return (&picker{b: data}).input() }

func (p *picker) input() Input {
	in := Input{Node: Node{Name: pick(p, "", thisNode), Addresses: addrs(pick(p, []string{"192.168.0.10"}, []string{"192.168.0.10", "fd00:192::10"}, nil)...)}}
	in.Options = Options{Scheduler: pick(p, "", "rr", "sh", "bad"), ProxyName: pick(p, "", "slicelb"),
		Policies: map[types.NamespacedName]Policy{{Namespace: ns, Name: "s1"}: {Scheduler: pick(p, "", "wlc", "nope"), PersistenceTimeout: uint32(p.n(3))}}}
	for i := range 1 + p.n(4) {
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s" + string(rune('0'+i%3))}}
		svc.Spec.Type = pick(p, corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName)
		for range p.n(3) {
			svc.Spec.ClusterIPs = append(svc.Spec.ClusterIPs, pick(p, fuzzIPs...))
		}
		svc.Spec.ClusterIP = pick(p, fuzzIPs...)
		for range p.n(3) {
			svc.Spec.ExternalIPs = append(svc.Spec.ExternalIPs, pick(p, fuzzIPs...))
			svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: pick(p, fuzzIPs...)})
		}
		for range p.n(4) {
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: pick(p, fuzzNames...), Protocol: pick(p, fuzzProto...),
				Port: pick(p, fuzzPorts...), NodePort: pick(p, int32(0), 30000, 30001, 99999)})
		}
		svc.Spec.SessionAffinity = pick(p, corev1.ServiceAffinityNone, corev1.ServiceAffinityClientIP)
		svc.Spec.ExternalTrafficPolicy = pick(p, "", corev1.ServiceExternalTrafficPolicyLocal)
		svc.Spec.InternalTrafficPolicy = pick(p, nil, &local)
		if p.n(4) == 0 {
			svc.Labels = map[string]string{LabelServiceProxyName: pick(p, "", "slicelb", "other")}
		}
		in.Services = append(in.Services, pick(p, svc, nil, svc))
	}
	for range p.n(5) {
		s := slice("s"+string(rune('0'+p.n(3))), "", pick(p, v4, v6, discoveryv1.AddressTypeFQDN), nil)
		for range p.n(3) {
			s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: pick(p, nil, ptr("http"), ptr("dns")),
				Protocol: pick(p, nil, ptr(corev1.ProtocolTCP), ptr(corev1.ProtocolUDP)), Port: pick(p, nil, ptr(int32(8080)), ptr(int32(0)))})
		}
		for range p.n(5) {
			e := discoveryv1.Endpoint{NodeName: pick(p, nil, ptr(thisNode), ptr("node-b")),
				Conditions: discoveryv1.EndpointConditions{Ready: p.optBool(), Serving: p.optBool(), Terminating: p.optBool()}}
			for range p.n(3) {
				e.Addresses = append(e.Addresses, pick(p, fuzzEPIPs...))
			}
			s.Endpoints = append(s.Endpoints, e)
		}
		in.Slices = append(in.Slices, pick(p, s, nil, s))
	}
	return in
}

func FuzzBuildDesired(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x01\x01\x00\x01\x02\x03\x02\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"))
	f.Add([]byte("slicelb: a seed with enough bytes to build several services and slices, 0123456789"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		ds := BuildDesired(in)
		checkDesired(t, in, ds)
		if again := BuildDesired(in); !reflect.DeepEqual(ds, again) {
			t.Fatal("BuildDesired is not deterministic")
		}
		// Everything desired is accepted by the (validating) fake kernel,
		// and a second sync is a no-op.
		k := ipvs.NewFake()
		s := newSyncer(t, k)
		s.sync(in, t0)
		if w := s.sync(in, t0); w != 0 {
			t.Fatalf("second sync wrote %d: %v", w, s.last.Ops)
		}
	})
}

func checkDesired(t *testing.T, in Input, ds *DesiredState) {
	t.Helper()
	for k, vs := range ds.VirtualServers {
		if vs.Key() != k || !k.Address.IsValid() || k.Address.Is4In6() {
			t.Fatalf("bad key %v for %v", k, vs.VirtualServer)
		}
		if !ipvs.ValidScheduler(vs.Scheduler) {
			t.Fatalf("%s: invalid scheduler %q", k, vs.Scheduler)
		}
		if vs.Persistent != (vs.Timeout > 0) {
			t.Fatalf("%s: persistent %v with timeout %d", k, vs.Persistent, vs.Timeout)
		}
		seen := map[netip.AddrPort]bool{}
		for _, rs := range vs.RealServers {
			if seen[rs.AddrPort()] {
				t.Fatalf("%s: real server %s twice", k, rs.AddrPort())
			}
			seen[rs.AddrPort()] = true
			if rs.Address.Is4() != k.Address.Is4() || rs.Port == 0 || rs.Weight != 1 {
				t.Fatalf("%s: bad real server %v", k, rs)
			}
		}
	}
	for i, a := range ds.BindAddresses {
		if i > 0 && ds.BindAddresses[i-1].Compare(a) >= 0 {
			t.Fatalf("bind addresses not sorted/unique: %v", ds.BindAddresses)
		}
		for _, n := range in.Node.Addresses {
			if n == a {
				t.Fatalf("node address %s bound on slicelb0", a)
			}
		}
	}
}
