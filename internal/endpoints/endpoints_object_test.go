package endpoints

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func addr(name, ip string) corev1.EndpointAddress {
	return corev1.EndpointAddress{IP: ip, NodeName: new("node-a"),
		TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: testNS, Name: name, UID: types.UID("uid-" + name)}}
}

func eport(name string, port int32, proto corev1.Protocol) corev1.EndpointPort {
	return corev1.EndpointPort{Name: name, Port: port, Protocol: proto}
}

var httpEPorts = []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}}

func wantEndpoints(labels map[string]string, annotations map[string]string, subsets ...corev1.EndpointSubset) *corev1.Endpoints {
	if labels == nil {
		labels = map[string]string{"endpoints.kubernetes.io/managed-by": "controller.slicelb.io"}
	}
	if annotations == nil {
		annotations = map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": triggerStr}
	}
	if subsets == nil {
		subsets = []corev1.EndpointSubset{}
	}
	return &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{Name: testSvc, Namespace: testNS, Labels: labels, Annotations: annotations},
		Subsets:    subsets,
	}
}

func TestDesiredEndpoints(t *testing.T) {
	named := func(name string) svcMod {
		return svcPorts(corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString(name)})
	}
	tcp := func(name string, port int32) corev1.ContainerPort {
		return corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}
	}
	otherNS := newPod("other", "10.0.0.99")
	otherNS.Namespace = "elsewhere"
	sidecar := newPod("p1", "10.0.0.1")
	sidecar.Spec.InitContainers = []corev1.Container{
		{Name: "init", Ports: []corev1.ContainerPort{tcp("web", 7000)}}, // not restartable: ignored
		{Name: "proxy", RestartPolicy: new(corev1.ContainerRestartPolicyAlways), Ports: []corev1.ContainerPort{tcp("web", 15001)}},
	}
	hostnamed := func(p *corev1.Pod, host, sub string) *corev1.Pod {
		p.Spec.Hostname, p.Spec.Subdomain = host, sub
		return p
	}
	withAddr := func(a corev1.EndpointAddress, host string) corev1.EndpointAddress { a.Hostname = host; return a }

	tests := []struct {
		name         string
		in           Input
		want         *corev1.Endpoints
		wantProblems []Problem
	}{{
		name: "ready and not-ready split; Failed, Succeeded, IP-less, terminating and foreign-namespace pods left out",
		in: Input{Service: newSvc(), TriggerTime: trigger, Pods: []*corev1.Pod{
			newPod("p2", "10.0.0.2"),
			mod(newPod("p1", "10.0.0.1"), notReady),
			mod(newPod("p3", "10.0.0.3"), phase(corev1.PodFailed)),
			mod(newPod("p4", "10.0.0.4"), phase(corev1.PodSucceeded)),
			newPod("p5"),
			mod(newPod("p6", "10.0.0.6"), deleting),
			otherNS,
		}},
		want: wantEndpoints(nil, nil, corev1.EndpointSubset{
			Addresses:         []corev1.EndpointAddress{addr("p2", "10.0.0.2")},
			NotReadyAddresses: []corev1.EndpointAddress{addr("p1", "10.0.0.1")},
			Ports:             httpEPorts,
		}),
	}, {
		name: "publishNotReadyAddresses puts not-ready and terminating pods in addresses",
		in: Input{Service: newSvc(publishNotReady), TriggerTime: trigger, Pods: []*corev1.Pod{
			mod(newPod("p1", "10.0.0.1"), notReady),
			mod(newPod("p2", "10.0.0.2"), deleting),
			mod(newPod("p3", "10.0.0.3"), phase(corev1.PodFailed)),
		}},
		want: wantEndpoints(nil, nil, corev1.EndpointSubset{
			Addresses: []corev1.EndpointAddress{addr("p1", "10.0.0.1"), addr("p2", "10.0.0.2")},
			Ports:     httpEPorts,
		}),
	}, {
		name: "named port resolved differently per pod; a pod lacking it (or with another protocol) is left out and reported",
		in: Input{Service: newSvc(named("web")), Pods: []*corev1.Pod{
			mod(newPod("p1", "10.0.0.1"), containerPorts(tcp("web", 8080))),
			mod(newPod("p2", "10.0.0.2"), containerPorts(tcp("web", 9090))),
			mod(newPod("p3", "10.0.0.3"), containerPorts(tcp("metrics", 9100))),
			mod(newPod("p4", "10.0.0.4"), containerPorts(corev1.ContainerPort{Name: "web", ContainerPort: 8080, Protocol: corev1.ProtocolUDP})),
		}},
		want: wantEndpoints(nil, map[string]string{},
			corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{addr("p1", "10.0.0.1")}, Ports: httpEPorts},
			corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{addr("p2", "10.0.0.2")}, Ports: []corev1.EndpointPort{eport("http", 9090, corev1.ProtocolTCP)}},
		),
		wantProblems: []Problem{
			{Pod: "p3", Port: "http", Reason: ReasonPortNotFound, Message: `Pod p3 has no container port named "web" with protocol TCP for Service port "http"; it is not an endpoint for that port`},
			{Pod: "p4", Port: "http", Reason: ReasonPortNotFound, Message: `Pod p4 has no container port named "web" with protocol TCP for Service port "http"; it is not an endpoint for that port`},
		},
	}, {
		name: "named port found on a sidecar (restartable init container) only",
		in:   Input{Service: newSvc(named("web")), TriggerTime: trigger, Pods: []*corev1.Pod{sidecar}},
		want: wantEndpoints(nil, nil, corev1.EndpointSubset{
			Addresses: []corev1.EndpointAddress{addr("p1", "10.0.0.1")},
			Ports:     []corev1.EndpointPort{eport("http", 15001, corev1.ProtocolTCP)},
		}),
	}, {
		name: "multi-port 53/TCP 53/UDP 5001/TCP with appProtocol, numeric 0 targetPort means the Service port",
		in: Input{Service: newSvc(svcPorts(
			corev1.ServicePort{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP},
			corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP},
			corev1.ServicePort{Name: "iperf", Port: 5001, Protocol: corev1.ProtocolTCP, AppProtocol: new("iperf"), TargetPort: intstr.FromInt32(5001)},
		)), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p2", "10.0.0.2"), newPod("p1", "10.0.0.1")}},
		want: wantEndpoints(nil, nil, corev1.EndpointSubset{
			Addresses: []corev1.EndpointAddress{addr("p1", "10.0.0.1"), addr("p2", "10.0.0.2")},
			Ports: []corev1.EndpointPort{eport("dns", 53, corev1.ProtocolUDP), eport("dns-tcp", 53, corev1.ProtocolTCP),
				{Name: "iperf", Port: 5001, Protocol: corev1.ProtocolTCP, AppProtocol: new("iperf")}},
		}),
	}, {
		name: "dual-stack Service: Endpoints carry the primary family only (IPv6 first here); single-stack IPv4 pod skipped",
		in: Input{Service: newSvc(func(s *corev1.Service) {
			s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}
		}), TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1", "fd00::1"), newPod("p2", "10.0.0.2")}},
		want: wantEndpoints(nil, nil, corev1.EndpointSubset{
			Addresses: []corev1.EndpointAddress{addr("p1", "fd00::1")},
			Ports:     httpEPorts,
		}),
	}, {
		name: "no ipFamilies: family of the ClusterIP; IPs are canonicalised",
		in: Input{Service: newSvc(func(s *corev1.Service) { s.Spec.IPFamilies = nil; s.Spec.ClusterIP = "fd00:96::10" }),
			TriggerTime: trigger, Pods: []*corev1.Pod{newPod("p1", "10.0.0.1", "FD00:0::1")}},
		want: wantEndpoints(nil, nil, corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{addr("p1", "fd00::1")}, Ports: httpEPorts}),
	}, {
		name: "headless without ports and families: bare IPv4 addresses, hostname only within the Service's subdomain, labels copied and marked headless",
		in: Input{Service: newSvc(headless, noPorts, svcLabels("team", "a"), func(s *corev1.Service) { s.Spec.IPFamilies = nil }),
			TriggerTime: trigger, Pods: []*corev1.Pod{
				hostnamed(newPod("p1", "10.0.0.1"), "web-0", "web"),
				hostnamed(newPod("p2", "10.0.0.2"), "web-1", "other"),
				hostnamed(mod(newPod("p3", "fd00::3"), notReady), "web-3", "web"),
			}},
		want: wantEndpoints(map[string]string{"team": "a", "service.kubernetes.io/headless": "", "endpoints.kubernetes.io/managed-by": "controller.slicelb.io"}, nil,
			corev1.EndpointSubset{Addresses: []corev1.EndpointAddress{withAddr(addr("p1", "10.0.0.1"), "web-0"), addr("p2", "10.0.0.2")}}),
	}, {
		name: "Service labels copied, a stale headless label on a ClusterIP Service dropped, no pods → no subsets",
		in:   Input{Service: newSvc(svcLabels("team", "a", "service.kubernetes.io/headless", ""))},
		want: wantEndpoints(map[string]string{"team": "a", "endpoints.kubernetes.io/managed-by": "controller.slicelb.io"}, map[string]string{}),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := DesiredEndpoints(tc.in)
			diff(t, "Endpoints", tc.want, got)
			diff(t, "problems", tc.wantProblems, problems)
		})
	}
}
