package proxier

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

func endpointCases() []desiredCase {
	web := []*corev1.Service{service("web", []string{"10.96.0.10"}, httpSvc)}
	other := slice("web", "x", v4, httpEP, ep("10.9.9.9", "node-b", ready))
	other.Namespace = "elsewhere"
	unlabelled := slice("web", "y", v4, httpEP, ep("10.9.9.8", "node-b", ready))
	unlabelled.Labels = nil
	fqdn := slice("web", "z", discoveryv1.AddressTypeFQDN, httpEP, ep("web.example.com", "node-b", ready))
	return []desiredCase{{
		name:     "terminating fallback: no ready endpoint, serving+terminating ones serve",
		services: web,
		slices: []*discoveryv1.EndpointSlice{slice("web", "web-1", v4, httpEP,
			ep("10.1.0.1", "node-b", terminating), ep("10.1.0.2", "node-b", terminating),
			ep("10.1.0.3", "node-b", terminated), ep("10.1.0.4", "node-b", notReady))},
		kernel: table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080", "10.1.0.2:8080")),
		bind:   addrs("10.96.0.10"),
	}, {
		name:     "terminating endpoints are not used while one is ready",
		services: web,
		slices: []*discoveryv1.EndpointSlice{slice("web", "web-1", v4, httpEP,
			ep("10.1.0.1", "node-b", terminating), ep("10.1.0.2", "node-b", ready))},
		kernel: table(entry("TCP 10.96.0.10:80 rr", "10.1.0.2:8080")),
		bind:   addrs("10.96.0.10"),
	}, {
		name:     "duplicates across slices appear once, the ready copy wins; foreign slices ignored",
		services: web,
		slices: []*discoveryv1.EndpointSlice{
			slice("web", "web-1", v4, httpEP, ep("10.1.0.1", "node-b", notReady), ep("10.1.0.2", "node-b", ready)),
			slice("web", "web-2", v4, httpEP, ep("10.1.0.1", "node-b", ready), ep("10.1.0.2", "node-b", ready)),
			slice("web", "web-3", v4, []discoveryv1.EndpointPort{eport("http", tcp, 9090)}, ep("10.1.0.2", "node-b", ready)),
			other, unlabelled, fqdn,
		},
		kernel: table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.2:9090")),
		bind:   addrs("10.96.0.10"),
	}, {
		name:     "unnamed single port; nil conditions mean ready; an IPv6 address in an IPv4 slice is dropped",
		services: []*corev1.Service{service("web", []string{"10.96.0.10"}, []corev1.ServicePort{{Port: 80}})},
		slices: []*discoveryv1.EndpointSlice{{
			ObjectMeta:  metav1.ObjectMeta{Namespace: ns, Name: "web-1", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: v4,
			Ports:       []discoveryv1.EndpointPort{{Port: ptr(int32(8080))}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.1.0.1"}}, {Addresses: []string{"fd00::1"}}, {}},
		}},
		kernel: table(entry("TCP 10.96.0.10:80 rr", "10.1.0.1:8080")),
		bind:   addrs("10.96.0.10"),
	}}
}

func selectionCases() []desiredCase {
	labelled := func(v string) func(*corev1.Service) {
		return func(s *corev1.Service) { s.Labels = map[string]string{LabelServiceProxyName: v} }
	}
	headless := service("headless", []string{corev1.ClusterIPNone}, httpSvc)
	extName := service("ext", []string{"10.96.0.99"}, httpSvc, func(s *corev1.Service) {
		s.Spec.Type = corev1.ServiceTypeExternalName
		s.Spec.ExternalName = "example.com"
	})
	unallocated := service("pending", []string{""}, httpSvc)
	eps := []*discoveryv1.EndpointSlice{
		slice("headless", "h-1", v4, httpEP, ep("10.1.0.1", "node-b", ready)),
		slice("ext", "e-1", v4, httpEP, ep("10.1.0.2", "node-b", ready)),
	}
	return []desiredCase{{
		name:     "headless, ExternalName and unallocated Services are ignored",
		services: []*corev1.Service{headless, extName, unallocated},
		slices:   eps,
		kernel:   table(),
	}, {
		name: "service-proxy-name: labelled Services belong to another proxy",
		services: []*corev1.Service{
			service("mine", []string{"10.96.0.1"}, httpSvc),
			service("theirs", []string{"10.96.0.2"}, httpSvc, labelled("other-proxy")),
			service("empty", []string{"10.96.0.3"}, httpSvc, labelled("")),
		},
		kernel: table(entry("TCP 10.96.0.1:80 rr")),
		bind:   addrs("10.96.0.1"),
	}, {
		name: "service-proxy-name: with --proxy-name we serve ours and unlabelled ones only",
		services: []*corev1.Service{
			service("mine", []string{"10.96.0.1"}, httpSvc),
			service("ours", []string{"10.96.0.2"}, httpSvc, labelled("slicelb")),
			service("theirs", []string{"10.96.0.3"}, httpSvc, labelled("other-proxy")),
		},
		opts:   Options{ProxyName: "slicelb"},
		kernel: table(entry("TCP 10.96.0.1:80 rr"), entry("TCP 10.96.0.2:80 rr")),
		bind:   addrs("10.96.0.1", "10.96.0.2"),
	}, {
		name: "two Services claiming one externalIP:port: the first by namespace/name wins",
		services: []*corev1.Service{
			service("b", []string{"10.96.0.2"}, httpSvc, func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"203.0.113.9"} }),
			service("a", []string{"10.96.0.1"}, httpSvc, func(s *corev1.Service) { s.Spec.ExternalIPs = []string{"203.0.113.9"} }),
		},
		slices: []*discoveryv1.EndpointSlice{
			slice("a", "a-1", v4, httpEP, ep("10.1.0.1", "node-b", ready)),
			slice("b", "b-1", v4, httpEP, ep("10.1.0.2", "node-b", ready)),
		},
		kernel: table(
			entry("TCP 10.96.0.1:80 rr", "10.1.0.1:8080"),
			entry("TCP 10.96.0.2:80 rr", "10.1.0.2:8080"),
			entry("TCP 203.0.113.9:80 rr", "10.1.0.1:8080"),
		),
		bind: addrs("10.96.0.1", "10.96.0.2", "203.0.113.9"),
		masq: []ipvs.VirtualServerKey{key("TCP 203.0.113.9:80")},
	}}
}

func ptr[T any](v T) *T { return &v }
