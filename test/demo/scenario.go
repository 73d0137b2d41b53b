package main

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// namespace holds the whole scenario.
const namespace = "demo"

// demoPod describes one simulated pod: the demo plays kubelet and writes the status a kubelet
// would (IP, Running, Ready); the VM's kubelet stand-in gives it a network namespace at that IP.
type demoPod struct {
	name, ip string
	labels   map[string]string
	ports    []corev1.ContainerPort
}

func myappPods() []demoPod {
	var pods []demoPod
	for i := range 3 {
		pods = append(pods, demoPod{name: fmt.Sprintf("myapp-%d", i), ip: fmt.Sprintf("10.244.1.%d", 10+i),
			labels: map[string]string{"app": "myapp"},
			ports:  []corev1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}}})
	}
	return pods
}

func dnsPods() []demoPod {
	var pods []demoPod
	for i := range 2 {
		pods = append(pods, demoPod{name: fmt.Sprintf("dns-%d", i), ip: fmt.Sprintf("10.244.1.%d", 20+i),
			labels: map[string]string{"app": "dns"},
			ports: []corev1.ContainerPort{
				{Name: "dns-tcp", ContainerPort: 53, Protocol: corev1.ProtocolTCP},
				{Name: "dns-udp", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
				{Name: "metrics", ContainerPort: 5001, Protocol: corev1.ProtocolTCP},
			}})
	}
	return pods
}

// podObject is the Pod as created (spec) and its kubelet-written status.
func (p demoPod) podObject(node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: p.name, Labels: p.labels},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{
			Name: "app", Image: "registry.k8s.io/e2e-test-images/agnhost:2.53", Ports: p.ports,
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				HTTPGet: &corev1.HTTPGetAction{Path: "/hostname.html", Port: intstr.FromInt32(p.ports[0].ContainerPort)}}},
		}}},
	}
}

func setReady(pod *corev1.Pod, ready bool) {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP = pod.Status.PodIPs[0].IP
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()},
		{Type: corev1.ContainersReady, Status: status, LastTransitionTime: metav1.Now()},
	}
}

// createPod creates the pod and writes its status as a kubelet would.
func createPod(ctx context.Context, cs kubernetes.Interface, p demoPod, node string) error {
	created, err := cs.CoreV1().Pods(namespace).Create(ctx, p.podObject(node), metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("pod %s: %w", p.name, err)
	}
	created.Status.PodIPs = []corev1.PodIP{{IP: p.ip}}
	setReady(created, true)
	if _, err := cs.CoreV1().Pods(namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("pod %s status: %w", p.name, err)
	}
	return nil
}

// flipReady sets a pod's readiness, as a kubelet does when its readiness probe starts failing or
// passes again.
func flipReady(ctx context.Context, cs kubernetes.Interface, name string, ready bool) error {
	pod, err := cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	setReady(pod, ready)
	_, err = cs.CoreV1().Pods(namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	return err
}

func tcpPort(name string, port int32, target intstr.IntOrString) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: target, Protocol: corev1.ProtocolTCP}
}

// services are the seeds' Services.
func services() []*corev1.Service {
	sel := map[string]string{"app": "myapp"}
	http := []corev1.ServicePort{tcpPort("http", 80, intstr.FromString("http"))}
	svc := func(name string, spec corev1.ServiceSpec) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: spec}
	}
	nodePort := tcpPort("http", 80, intstr.FromString("http"))
	nodePort.NodePort = 30010
	return []*corev1.Service{
		svc("myapp", corev1.ServiceSpec{Selector: sel, Ports: http}),
		svc("myapp-sticky", corev1.ServiceSpec{Selector: sel, Ports: http, SessionAffinity: corev1.ServiceAffinityClientIP}),
		svc("myapp-nodeport", corev1.ServiceSpec{Selector: sel, Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{nodePort}}),
		svc("myapp-headless", corev1.ServiceSpec{Selector: sel, ClusterIP: corev1.ClusterIPNone, Ports: http}),
		svc("nginx-noselect", corev1.ServiceSpec{Ports: []corev1.ServicePort{tcpPort("http", 80, intstr.FromInt32(80))}}),
		svc("external-db", corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com"}),
		svc("dns", corev1.ServiceSpec{Selector: map[string]string{"app": "dns"}, Ports: []corev1.ServicePort{
			tcpPort("dns-tcp", 53, intstr.FromString("dns-tcp")),
			{Name: "dns-udp", Port: 53, TargetPort: intstr.FromString("dns-udp"), Protocol: corev1.ProtocolUDP},
			tcpPort("metrics", 5001, intstr.FromString("metrics")),
		}}),
	}
}

// noSelectEndpoints are nginx-noselect's hand-written Endpoints (two of myapp's pods by IP); the
// controller mirrors them into an EndpointSlice.
func noSelectEndpoints() *corev1.Endpoints { //nolint:staticcheck // hand-written core/v1 Endpoints are the scenario
	return &corev1.Endpoints{ //nolint:staticcheck // as above
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "nginx-noselect"},
		Subsets: []corev1.EndpointSubset{{ //nolint:staticcheck // as above
			Addresses: []corev1.EndpointAddress{{IP: "10.244.1.10"}, {IP: "10.244.1.11"}},            //nolint:staticcheck // as above
			Ports:     []corev1.EndpointPort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}, //nolint:staticcheck // as above
		}},
	}
}
