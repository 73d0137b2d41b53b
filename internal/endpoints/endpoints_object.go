package endpoints

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Input is everything the planner needs about a Service with a selector.
type Input struct {
	// Service is the Service being planned for. Required.
	Service *corev1.Service
	// Pods are the pods matching the Service's selector. Pods of another namespace are ignored.
	Pods []*corev1.Pod
	// Nodes by name, for the topology.kubernetes.io/zone label of EndpointSlice endpoints. A
	// missing node only means "no zone".
	Nodes map[string]*corev1.Node
	// TriggerTime is the time of the last change that triggered this sync; when non-zero it is
	// written as endpoints.kubernetes.io/last-change-trigger-time on the objects written.
	TriggerTime time.Time
}

// DesiredEndpoints computes the complete Endpoints object for in.Service (upstream
// endpoints-controller syncService): one address per eligible pod of the Service's primary family,
// ready pods (or all, with publishNotReadyAddresses) in addresses and the rest in
// notReadyAddresses, in canonical subsets, truncated to MaxEndpointsAddresses with the
// over-capacity annotation. Terminating pods are left out unless publishNotReadyAddresses.
// Problems list the pods lacking a named target port.
func DesiredEndpoints(in Input) (*corev1.Endpoints, []Problem) {
	svc := in.Service
	family := primaryFamily(svc)
	var raw []corev1.EndpointSubset
	var problems []Problem
	for _, pod := range in.Pods {
		if !podEligible(svc, pod, svc.Spec.PublishNotReadyAddresses) {
			continue
		}
		ip, ok := podIPOfFamily(pod, family)
		if !ok {
			// A single-stack pod of the other family (e.g. mid dual-stack migration) is skipped,
			// as upstream does.
			continue
		}
		addr := corev1.EndpointAddress{
			IP:        ip,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID},
		}
		if pod.Spec.NodeName != "" {
			addr.NodeName = new(pod.Spec.NodeName)
		}
		if shouldSetHostname(svc, pod) {
			addr.Hostname = pod.Spec.Hostname
		}
		subset := corev1.EndpointSubset{}
		if podConditions(svc, pod).ready {
			subset.Addresses = []corev1.EndpointAddress{addr}
		} else {
			subset.NotReadyAddresses = []corev1.EndpointAddress{addr}
		}
		if len(svc.Spec.Ports) == 0 {
			// Only a headless Service may have no ports; it publishes bare addresses.
			if isHeadless(svc) {
				raw = append(raw, subset)
			}
			continue
		}
		ports, pp := resolvePorts(svc, pod)
		problems = append(problems, pp...)
		for _, p := range ports {
			s := *subset.DeepCopy()
			s.Ports = []corev1.EndpointPort{{Name: p.name, Port: p.port, Protocol: p.protocol, AppProtocol: clonePtr(p.appProtocol)}}
			raw = append(raw, s)
		}
	}

	ep := &corev1.Endpoints{
		ObjectMeta: metav1.ObjectMeta{
			Name:        svc.Name,
			Namespace:   svc.Namespace,
			Labels:      desiredEndpointsLabels(svc),
			Annotations: map[string]string{},
		},
		Subsets: repackSubsets(raw),
	}
	if truncated := truncateSubsets(ep.Subsets, MaxEndpointsAddresses); truncated != nil {
		ep.Subsets = repackSubsets(truncated)
		ep.Annotations[corev1.EndpointsOverCapacity] = AnnotationOverCapacityTruncated
	}
	if !in.TriggerTime.IsZero() {
		ep.Annotations[corev1.EndpointsLastChangeTriggerTime] = in.TriggerTime.UTC().Format(time.RFC3339Nano)
	}
	return ep, sortProblems(problems)
}
