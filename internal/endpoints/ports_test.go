package endpoints

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestResolvePorts(t *testing.T) {
	pod := mod(newPod("p1", "10.0.0.1"), containerPorts(
		corev1.ContainerPort{Name: "web", ContainerPort: 8080}, // protocol defaulted to TCP
		corev1.ContainerPort{Name: "dns", ContainerPort: 5353, Protocol: corev1.ProtocolUDP},
		corev1.ContainerPort{Name: "sctp", ContainerPort: 9999, Protocol: corev1.ProtocolSCTP},
	))
	pod.Spec.InitContainers = []corev1.Container{
		{Name: "once", RestartPolicy: new(corev1.ContainerRestartPolicy("OnFailure")), Ports: []corev1.ContainerPort{{Name: "side", ContainerPort: 1}}},
		{Name: "proxy", RestartPolicy: new(corev1.ContainerRestartPolicyAlways), Ports: []corev1.ContainerPort{{Name: "side", ContainerPort: 15000}}},
	}
	tests := []struct {
		name         string
		ports        []corev1.ServicePort
		want         []endpointPort
		wantProblems []Problem
	}{{
		name:  "numeric, zero (= service port) and empty-name targetPorts; empty Service protocol defaults to TCP",
		ports: []corev1.ServicePort{{Name: "a", Port: 80, TargetPort: intstr.FromInt32(8080)}, {Name: "b", Port: 81}, {Name: "c", Port: 82, TargetPort: intstr.FromString("")}},
		want: []endpointPort{{name: "a", port: 8080, protocol: corev1.ProtocolTCP}, {name: "b", port: 81, protocol: corev1.ProtocolTCP},
			{name: "c", port: 82, protocol: corev1.ProtocolTCP}},
	}, {
		name: "named ports matched by name and protocol (TCP, UDP, SCTP), sidecar only when restartPolicy Always",
		ports: []corev1.ServicePort{
			{Name: "web", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("web"), AppProtocol: new("http")},
			{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromString("dns")},
			{Name: "sctp", Port: 9, Protocol: corev1.ProtocolSCTP, TargetPort: intstr.FromString("sctp")},
			{Name: "side", Port: 15, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("side")},
		},
		want: []endpointPort{{name: "dns", port: 5353, protocol: corev1.ProtocolUDP}, {name: "sctp", port: 9999, protocol: corev1.ProtocolSCTP},
			{name: "side", port: 15000, protocol: corev1.ProtocolTCP}, {name: "web", port: 8080, protocol: corev1.ProtocolTCP, appProtocol: new("http")}},
	}, {
		name:  "same name, wrong protocol: unresolved",
		ports: []corev1.ServicePort{{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("dns")}},
		wantProblems: []Problem{{Pod: "p1", Port: "dns-tcp", Reason: ReasonPortNotFound,
			Message: `Pod p1 has no container port named "dns" with protocol TCP for Service port "dns-tcp"; it is not an endpoint for that port`}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := resolvePorts(newSvc(svcPorts(tc.ports...)), pod)
			diff(t, "ports", tc.want, got)
			diff(t, "problems", tc.wantProblems, problems)
		})
	}
}
