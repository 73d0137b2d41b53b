package endpoints

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Test fixtures: Service "web" in namespace "ns" (UID svc-uid), pods named p<N> on node-a/node-b.

const (
	testNS  = "ns"
	testSvc = "web"
	svcUID  = types.UID("svc-uid")
)

var (
	trigger    = time.Date(2026, 11, 21, 23, 0, 0, 123456789, time.UTC)
	triggerStr = "2026-11-21T23:00:00.123456789Z"
)

type svcMod func(*corev1.Service)

// newSvc is a ClusterIP IPv4 Service selecting app=web with port "http" 80 → targetPort 8080/TCP.
func newSvc(mods ...svcMod) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: testSvc, Namespace: testNS, UID: svcUID},
		Spec: corev1.ServiceSpec{
			Selector:   map[string]string{"app": "web"},
			ClusterIP:  "10.96.0.10",
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol},
			Ports: []corev1.ServicePort{{
				Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080),
			}},
		},
	}
	for _, m := range mods {
		m(s)
	}
	return s
}

func headless(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone }
func noPorts(s *corev1.Service)  { s.Spec.Ports = nil }
func publishNotReady(s *corev1.Service) {
	s.Spec.PublishNotReadyAddresses = true
}
func dualStack(s *corev1.Service) {
	s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
}
func svcLabels(kv ...string) svcMod {
	return func(s *corev1.Service) {
		s.Labels = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			s.Labels[kv[i]] = kv[i+1]
		}
	}
}
func svcPorts(ports ...corev1.ServicePort) svcMod {
	return func(s *corev1.Service) { s.Spec.Ports = ports }
}
func trafficDist(v string) svcMod {
	return func(s *corev1.Service) { s.Spec.TrafficDistribution = new(v) }
}

type podMod func(*corev1.Pod)

// newPod is a running, ready pod on node-a with the given IPs (first is status.podIP).
func newPod(name string, ips ...string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{NodeName: "node-a", Containers: []corev1.Container{{Name: "c"}}},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
	for i, ip := range ips {
		if i == 0 {
			p.Status.PodIP = ip
		}
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	return p
}

func mod(p *corev1.Pod, mods ...podMod) *corev1.Pod {
	for _, m := range mods {
		m(p)
	}
	return p
}

func notReady(p *corev1.Pod) {
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}
}
func deleting(p *corev1.Pod) {
	ts := metav1.NewTime(trigger)
	p.DeletionTimestamp = &ts
}
func onNode(n string) podMod { return func(p *corev1.Pod) { p.Spec.NodeName = n } }
func phase(ph corev1.PodPhase) podMod {
	return func(p *corev1.Pod) { p.Status.Phase = ph }
}
func containerPorts(ports ...corev1.ContainerPort) podMod {
	return func(p *corev1.Pod) { p.Spec.Containers[0].Ports = ports }
}

// pods returns n ready pods p0000.. with IPs 10.1.x.y.
func pods(n int) []*corev1.Pod {
	out := make([]*corev1.Pod, n)
	for i := range out {
		out[i] = newPod(fmt.Sprintf("p%04d", i), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1))
	}
	return out
}

func zoneNodes() map[string]*corev1.Node {
	return map[string]*corev1.Node{
		"node-a": {ObjectMeta: metav1.ObjectMeta{Name: "node-a", Labels: map[string]string{corev1.LabelTopologyZone: "zone-a"}}},
		"node-b": {ObjectMeta: metav1.ObjectMeta{Name: "node-b", Labels: map[string]string{corev1.LabelTopologyZone: "zone-b"}}},
	}
}

// --- expected objects, written out literally (no planner code reused) ---

func ownerRef() []metav1.OwnerReference {
	return []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: testSvc, UID: svcUID,
		Controller: new(true), BlockOwnerDeletion: new(true)}}
}

func sliceLabels(extra ...string) map[string]string {
	l := map[string]string{
		"kubernetes.io/service-name":             testSvc,
		"endpointslice.kubernetes.io/managed-by": "controller.slicelb.io",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func sport(name string, port int32, proto corev1.Protocol) discoveryv1.EndpointPort {
	return discoveryv1.EndpointPort{Name: new(name), Port: new(port), Protocol: new(proto)}
}

var httpPorts = []discoveryv1.EndpointPort{{Name: new("http"), Port: new(int32(8080)), Protocol: new(corev1.ProtocolTCP)}}

// wantEP is the endpoint of pod `name` (on node-a unless changed) with the given conditions.
func wantEP(name, ip string, ready, serving, terminating bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: new(ready), Serving: new(serving), Terminating: new(terminating)},
		NodeName:   new("node-a"),
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: testNS, Name: name, UID: types.UID("uid-" + name)},
	}
}

func readyEP(name, ip string) discoveryv1.Endpoint { return wantEP(name, ip, true, true, false) }

// newSliceWant is a slice to create for the test Service.
func newSliceWant(family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	if ports == nil {
		ports = []discoveryv1.EndpointPort{}
	}
	if eps == nil {
		eps = []discoveryv1.Endpoint{}
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: testNS, GenerateName: "web-", Labels: sliceLabels(), OwnerReferences: ownerRef(),
			Annotations: map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": triggerStr},
		},
		AddressType: family, Ports: ports, Endpoints: eps,
	}
}

// existingSlice is a slice as the API server would return it after we created it.
func existingSlice(name string, family discoveryv1.AddressType, ports []discoveryv1.EndpointPort, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	s := newSliceWant(family, ports, eps...)
	s.Name, s.GenerateName, s.ResourceVersion, s.UID = name, "", "7", types.UID("uid-"+name)
	s.Annotations = map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": "2026-01-01T00:00:00Z"}
	return s
}

// updated is the expected update of an existing slice: same identity, new content, new trigger time.
func updated(s *discoveryv1.EndpointSlice, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	u := s.DeepCopy()
	u.Annotations = map[string]string{"endpoints.kubernetes.io/last-change-trigger-time": triggerStr}
	u.Endpoints = eps
	if eps == nil {
		u.Endpoints = []discoveryv1.Endpoint{}
	}
	return u
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmp.AllowUnexported(endpointPort{})); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}
