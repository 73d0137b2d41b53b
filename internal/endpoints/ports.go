package endpoints

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// endpointPort is a resolved Service port for one pod: the Service port's name, protocol and
// appProtocol with the pod's port number.
type endpointPort struct {
	name        string
	port        int32
	protocol    corev1.Protocol
	appProtocol *string
}

// key is a canonical, collision-free text form used for grouping.
func (p endpointPort) key() string {
	app := "-"
	if p.appProtocol != nil {
		app = "=" + *p.appProtocol
	}
	return strconv.Quote(p.name) + "/" + strconv.Itoa(int(p.port)) + "/" + string(p.protocol) + "/" + strconv.Quote(app)
}

// compareEndpointPorts orders ports by name, number, protocol and appProtocol.
func compareEndpointPorts(a, b endpointPort) int {
	return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.port, b.port),
		cmp.Compare(a.protocol, b.protocol), strings.Compare(a.key(), b.key()))
}

// portListKey is the canonical key of a list of ports (order-insensitive, like upstream's
// PortMapKey, which sorts before hashing).
func portListKey(ports []endpointPort) string {
	keys := make([]string, len(ports))
	for i, p := range ports {
		keys[i] = p.key()
	}
	slices.Sort(keys)
	return "[" + strings.Join(keys, ",") + "]"
}

// resolvePorts resolves every Service port for pod (upstream getEndpointPorts / FindPort). A
// Service port whose named targetPort the pod lacks is left out for this pod and reported. The
// result is sorted. A headless Service without ports yields no ports and no problem: it publishes
// bare addresses.
func resolvePorts(svc *corev1.Service, pod *corev1.Pod) ([]endpointPort, []Problem) {
	var ports []endpointPort
	var problems []Problem
	for i := range svc.Spec.Ports {
		sp := &svc.Spec.Ports[i]
		num, ok := findPort(pod, sp)
		if !ok {
			problems = append(problems, Problem{
				Pod:    pod.Name,
				Port:   sp.Name,
				Reason: ReasonPortNotFound,
				Message: fmt.Sprintf("Pod %s has no container port named %q with protocol %s for Service port %q; it is not an endpoint for that port",
					pod.Name, sp.TargetPort.StrVal, serviceProtocol(sp), sp.Name),
			})
			continue
		}
		ports = append(ports, endpointPort{name: sp.Name, port: num, protocol: serviceProtocol(sp), appProtocol: sp.AppProtocol})
	}
	slices.SortFunc(ports, compareEndpointPorts)
	return ports, problems
}

// serviceProtocol defaults an empty protocol to TCP, as the API server does.
func serviceProtocol(sp *corev1.ServicePort) corev1.Protocol {
	if sp.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return sp.Protocol
}

// findPort resolves the target port of sp on pod. A numeric targetPort is used as is (0, i.e.
// unset, means the Service port, as API defaulting would have set it). A named targetPort is looked
// up by name AND protocol in the containers, then in restartable init containers (sidecars,
// restartPolicy Always), which serve traffic for the pod's whole life.
func findPort(pod *corev1.Pod, sp *corev1.ServicePort) (int32, bool) {
	if sp.TargetPort.Type == intstr.Int {
		if sp.TargetPort.IntVal == 0 {
			return sp.Port, true
		}
		return sp.TargetPort.IntVal, true
	}
	name, proto := sp.TargetPort.StrVal, serviceProtocol(sp)
	if name == "" {
		return sp.Port, true
	}
	if num, ok := findContainerPort(pod.Spec.Containers, name, proto, false); ok {
		return num, true
	}
	return findContainerPort(pod.Spec.InitContainers, name, proto, true)
}

func findContainerPort(containers []corev1.Container, name string, proto corev1.Protocol, sidecarsOnly bool) (int32, bool) {
	for i := range containers {
		c := &containers[i]
		if sidecarsOnly && (c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
			continue
		}
		for _, p := range c.Ports {
			pp := p.Protocol
			if pp == "" {
				pp = corev1.ProtocolTCP
			}
			if p.Name == name && pp == proto {
				return p.ContainerPort, true
			}
		}
	}
	return 0, false
}
