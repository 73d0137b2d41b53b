package proxier

import (
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

var (
	v4      = discoveryv1.AddressTypeIPv4
	v6      = discoveryv1.AddressTypeIPv6
	tcp     = corev1.ProtocolTCP
	udp     = corev1.ProtocolUDP
	sctp    = corev1.ProtocolSCTP
	httpEP  = []discoveryv1.EndpointPort{eport("http", tcp, 8080)}
	httpSvc = []corev1.ServicePort{sport("http", tcp, 80, 0)}
	local   = corev1.ServiceInternalTrafficPolicyLocal
)

func nodePortType(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }

// desiredCase is one row: the API objects in, and the WHOLE result out: the
// entire fake kernel after one sync from empty, the VIPs to bind, the
// masquerade keys and the hairpin endpoints.
type desiredCase struct {
	name     string
	services []*corev1.Service
	slices   []*discoveryv1.EndpointSlice
	opts     Options
	kernel   ipvs.Table
	bind     []netip.Addr
	masq     []ipvs.VirtualServerKey
	hairpin  []Hairpin
	// conflicts are desired virtual servers PlanSync refuses to own.
	conflicts []ipvs.VirtualServerKey
}

func TestDesiredStateThroughFakeKernel(t *testing.T) {
	for _, tc := range desiredCases() {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Services: tc.services, Slices: tc.slices, Node: theNode, Options: tc.opts}
			ds := BuildDesired(in)
			assertEqual(t, "bind addresses", ds.BindAddresses, tc.bind)
			assertEqual(t, "masquerade", ds.Masquerade, tc.masq)
			assertEqual(t, "hairpin", ds.Hairpin, tc.hairpin)

			k := ipvs.NewFake()
			s := newSyncer(t, k)
			s.sync(in, t0)
			assertTable(t, k.State(), tc.kernel)
			assertEqual(t, "conflicts", s.last.Conflicts, tc.conflicts)
			if len(s.last.RemovedUDP) != 0 || len(s.last.Draining) != 0 {
				t.Fatalf("unexpected plan extras: %+v", s.last)
			}
			// No-op is free: the same inputs again make zero writes.
			if w := s.sync(in, t0.Add(time.Minute)); w != 0 || len(s.last.Ops) != 0 {
				t.Fatalf("no-op sync made %d writes: %v", w, s.last.Ops)
			}
			assertTable(t, k.State(), tc.kernel)
		})
	}
}

func desiredCases() []desiredCase {
	return slices2(basicCases(), trafficCases(), endpointCases(), selectionCases())
}

func slices2(parts ...[]desiredCase) []desiredCase {
	var out []desiredCase
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func basicCases() []desiredCase {
	return []desiredCase{{
		name:     "ClusterIP: ready endpoints only",
		services: []*corev1.Service{service("web", []string{"10.96.0.10"}, httpSvc)},
		slices: []*discoveryv1.EndpointSlice{slice("web", "web-1", v4, httpEP,
			ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready), ep("10.1.0.3", "node-b", notReady))},
		kernel: table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080", "10.1.0.2:8080")),
		bind:   addrs("10.96.0.10"),
	}, {
		name: "dual-stack: one virtual server per family, real servers of that family",
		services: []*corev1.Service{service("web", []string{"10.96.0.10", "fd00:96::10"}, httpSvc,
			func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort; s.Spec.Ports[0].NodePort = 30080 })},
		slices: []*discoveryv1.EndpointSlice{
			slice("web", "web-v4", v4, httpEP, ep("10.1.0.1", "node-b", ready)),
			slice("web", "web-v6", v6, httpEP, ep("fd00:1::1", "node-b", ready), ep("fd00:1::2", "node-b", ready)),
		},
		kernel: table(
			entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080"),
			entry("TCP 192.168.0.10:30080 rr", "10.1.0.1:8080"),
			entry("TCP [fd00:96::10]:80 rr", "[fd00:1::1]:8080", "[fd00:1::2]:8080"),
			entry("TCP [fd00:192::10]:30080 rr", "[fd00:1::1]:8080", "[fd00:1::2]:8080"),
		),
		bind: addrs("10.96.0.10", "fd00:96::10"),
		masq: []ipvs.VirtualServerKey{key("TCP 192.168.0.10:30080"), key("TCP [fd00:192::10]:30080")},
	}, {
		name: "multi-port TCP/UDP/SCTP: slice ports matched by name and protocol",
		services: []*corev1.Service{service("dns", []string{"10.96.0.53"}, []corev1.ServicePort{
			sport("dns", udp, 53, 0), sport("dns-tcp", tcp, 53, 0), sport("sig", sctp, 3868, 0), sport("gone", tcp, 9, 0)})},
		slices: []*discoveryv1.EndpointSlice{slice("dns", "dns-1", v4,
			[]discoveryv1.EndpointPort{eport("dns", udp, 5353), eport("dns-tcp", tcp, 5353), eport("sig", sctp, 3869),
				eport("gone", udp, 9)}, // same name, other protocol: not the TCP port's endpoints
			ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready))},
		kernel: table(
			entry("UDP 10.96.0.53:53 rr", "10.1.0.1:5353", "10.1.0.2:5353"),
			entry("TCP 10.96.0.53:53 rr", "10.1.0.1:5353", "10.1.0.2:5353"),
			entry("SCTP 10.96.0.53:3868 rr", "10.1.0.1:3869", "10.1.0.2:3869"),
			entry("TCP 10.96.0.53:9 rr"),
		),
		bind: addrs("10.96.0.53"),
	}, {
		name:     "NodePort on every node address of the Service's family",
		services: []*corev1.Service{service("web", []string{"10.96.0.10"}, []corev1.ServicePort{sport("http", tcp, 80, 30080)}, nodePortType)},
		slices:   []*discoveryv1.EndpointSlice{slice("web", "web-1", v4, httpEP, ep("10.1.0.1", "node-b", ready))},
		kernel: table(
			entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080"),
			entry("TCP 192.168.0.10:30080 rr", "10.1.0.1:8080"),
		),
		bind: addrs("10.96.0.10"),
		masq: []ipvs.VirtualServerKey{key("TCP 192.168.0.10:30080")},
	}, {
		name: "--nodeport-addresses limits the node addresses",
		services: []*corev1.Service{service("web", []string{"10.96.0.10", "fd00:96::10"},
			[]corev1.ServicePort{sport("http", tcp, 80, 30080)}, nodePortType)},
		opts:   Options{NodePortAddresses: []netip.Prefix{netip.MustParsePrefix("fd00:192::/64")}},
		kernel: table(entry("TCP 10.96.0.10:80 rr"), entry("TCP [fd00:96::10]:80 rr"), entry("TCP [fd00:192::10]:30080 rr")),
		bind:   addrs("10.96.0.10", "fd00:96::10"),
		masq:   []ipvs.VirtualServerKey{key("TCP [fd00:192::10]:30080")},
	}, {
		name: "externalIPs are bound and masqueraded; other-family and node-address externalIPs handled",
		services: []*corev1.Service{service("web", []string{"10.96.0.10"}, httpSvc, func(s *corev1.Service) {
			s.Spec.ExternalIPs = []string{"203.0.113.7", "2001:db8::7", "192.168.0.10", "bogus"}
		})},
		slices: []*discoveryv1.EndpointSlice{slice("web", "web-1", v4, httpEP, ep("10.1.0.1", "node-b", ready))},
		kernel: table(
			entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080"),
			entry("TCP 203.0.113.7:80 rr", "10.1.0.1:8080"),
			// A node address is never bound on slicelb0, and port 80 is outside the NodePort
			// range, so this virtual server is not ownable: reported as a conflict, not created.
		),
		bind:      addrs("10.96.0.10", "203.0.113.7"),
		masq:      []ipvs.VirtualServerKey{key("TCP 192.168.0.10:80"), key("TCP 203.0.113.7:80")},
		conflicts: []ipvs.VirtualServerKey{key("TCP 192.168.0.10:80")},
	}, {
		name: "LoadBalancer: ingress IPs with ipMode VIP or unset, plus node ports",
		services: []*corev1.Service{service("lb", []string{"10.96.0.20"}, []corev1.ServicePort{sport("http", tcp, 80, 31000)},
			func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeLoadBalancer
				vipMode, proxyMode := corev1.LoadBalancerIPModeVIP, corev1.LoadBalancerIPModeProxy
				s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{
					{IP: "198.51.100.1"}, {IP: "198.51.100.2", IPMode: &vipMode},
					{IP: "198.51.100.3", IPMode: &proxyMode}, {Hostname: "lb.example.com"},
				}
			})},
		slices: []*discoveryv1.EndpointSlice{slice("lb", "lb-1", v4, httpEP, ep("10.1.0.1", "node-b", ready))},
		kernel: table(
			entry("TCP 10.96.0.20:80 rr", "10.1.0.1:8080"),
			entry("TCP 198.51.100.1:80 rr", "10.1.0.1:8080"),
			entry("TCP 198.51.100.2:80 rr", "10.1.0.1:8080"),
			entry("TCP 192.168.0.10:31000 rr", "10.1.0.1:8080"),
		),
		bind: addrs("10.96.0.20", "198.51.100.1", "198.51.100.2"),
		masq: []ipvs.VirtualServerKey{key("TCP 192.168.0.10:31000"), key("TCP 198.51.100.1:80"), key("TCP 198.51.100.2:80")},
	}}
}

func trafficCases() []desiredCase {
	mixed := slice("web", "web-1", v4, httpEP,
		ep("10.1.0.1", thisNode, ready), ep("10.1.0.2", "node-b", ready), ep("10.1.0.3", thisNode, notReady))
	npPorts := []corev1.ServicePort{sport("http", tcp, 80, 30080)}
	return []desiredCase{{
		name: "sessionAffinity ClientIP: persistent, default and explicit timeout",
		services: []*corev1.Service{
			service("a", []string{"10.96.0.1"}, httpSvc, func(s *corev1.Service) { s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP }),
			service("b", []string{"10.96.0.2"}, httpSvc, func(s *corev1.Service) {
				s.Spec.SessionAffinity = corev1.ServiceAffinityClientIP
				sec := int32(600)
				s.Spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: &sec}}
			}),
		},
		kernel: table(entry("TCP 10.96.0.1:80 rr persistent 10800"), entry("TCP 10.96.0.2:80 rr persistent 600")),
		bind:   addrs("10.96.0.1", "10.96.0.2"),
	}, {
		name: "internalTrafficPolicy Local: cluster IP gets local endpoints, node port all",
		services: []*corev1.Service{service("web", []string{"10.96.0.10"}, npPorts, nodePortType,
			func(s *corev1.Service) { s.Spec.InternalTrafficPolicy = &local })},
		slices: []*discoveryv1.EndpointSlice{mixed},
		kernel: table(
			entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080"),
			entry("TCP 192.168.0.10:30080 rr", "10.1.0.1:8080", "10.1.0.2:8080"),
		),
		bind:    addrs("10.96.0.10"),
		masq:    []ipvs.VirtualServerKey{key("TCP 192.168.0.10:30080")},
		hairpin: []Hairpin{{Protocol: ipvs.TCP, Endpoint: netip.MustParseAddrPort("10.1.0.1:8080")}},
	}, {
		name: "externalTrafficPolicy Local: external VIPs get local endpoints, no masquerade",
		services: []*corev1.Service{service("web", []string{"10.96.0.10"}, npPorts, nodePortType, func(s *corev1.Service) {
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
			s.Spec.ExternalIPs = []string{"203.0.113.7"}
		})},
		slices: []*discoveryv1.EndpointSlice{mixed},
		kernel: table(
			entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080", "10.1.0.2:8080"),
			entry("TCP 203.0.113.7:80 rr", "10.1.0.1:8080"),
			entry("TCP 192.168.0.10:30080 rr", "10.1.0.1:8080"),
		),
		bind:    addrs("10.96.0.10", "203.0.113.7"),
		hairpin: []Hairpin{{Protocol: ipvs.TCP, Endpoint: netip.MustParseAddrPort("10.1.0.1:8080")}},
	}, {
		name: "externalTrafficPolicy Local without local endpoints: virtual server with no real servers",
		services: []*corev1.Service{service("web", []string{"10.96.0.10"}, npPorts, nodePortType,
			func(s *corev1.Service) { s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal })},
		slices: []*discoveryv1.EndpointSlice{slice("web", "web-1", v4, httpEP, ep("10.1.0.2", "node-b", ready))},
		kernel: table(entry("TCP 10.96.0.10:80 rr", "10.1.0.2:8080"), entry("TCP 192.168.0.10:30080 rr")),
		bind:   addrs("10.96.0.10"),
	}, {
		name: "IPv6-only LoadBalancer with externalTrafficPolicy Local, UDP: local endpoint, hairpin, no masquerade",
		services: []*corev1.Service{service("dns6", []string{"fd00:96::53"}, []corev1.ServicePort{sport("dns", udp, 53, 30053)},
			func(s *corev1.Service) {
				s.Spec.Type = corev1.ServiceTypeLoadBalancer
				s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "2001:db8::53"}, {IP: "198.51.100.53"}}
			})},
		slices: []*discoveryv1.EndpointSlice{slice("dns6", "dns6-1", v6, []discoveryv1.EndpointPort{eport("dns", udp, 5353)},
			ep("fd00:1::1", thisNode, ready), ep("fd00:1::2", "node-b", ready))},
		kernel: table(
			entry("UDP [fd00:96::53]:53 rr", "[fd00:1::1]:5353", "[fd00:1::2]:5353"),
			entry("UDP [2001:db8::53]:53 rr", "[fd00:1::1]:5353"),
			entry("UDP [fd00:192::10]:30053 rr", "[fd00:1::1]:5353"),
		),
		bind:    addrs("2001:db8::53", "fd00:96::53"),
		hairpin: []Hairpin{{Protocol: ipvs.UDP, Endpoint: netip.MustParseAddrPort("[fd00:1::1]:5353")}},
	}, {
		name: "per-Service policy overrides scheduler and persistence; bad scheduler flag falls back to rr",
		services: []*corev1.Service{
			service("a", []string{"10.96.0.1"}, httpSvc),
			service("b", []string{"10.96.0.2"}, httpSvc),
		},
		opts: Options{Scheduler: "nonsense", Policies: map[types.NamespacedName]Policy{
			{Namespace: ns, Name: "a"}: {Scheduler: "sh", PersistenceTimeout: 60, DrainTimeout: time.Minute},
		}},
		kernel: table(entry("TCP 10.96.0.1:80 sh persistent 60"), entry("TCP 10.96.0.2:80 rr")),
		bind:   addrs("10.96.0.1", "10.96.0.2"),
	}}
}
