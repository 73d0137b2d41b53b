package agent

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AnnotationLastChangeTriggerTime is set by the EndpointSlice controller to the time of the change
// (pod or Service) that caused the slice's last update; kube-proxy measures network programming
// latency from it, and so does the agent.
const AnnotationLastChangeTriggerTime = "endpoints.kubernetes.io/last-change-trigger-time"

// The cache transforms below keep only what the agent reads, so a node's memory does not grow with
// fields it never looks at (managedFields alone are often half of an object; a Node's status.images
// can be tens of kilobytes). They run before an object enters the cache and return a new object
// (the informer owns its input), keeping ResourceVersion so the cache still works.

// TransformService keeps a Service's identity, labels (service-proxy-name, headless), spec and
// load-balancer status; annotations, managedFields, owners and finalizers are dropped.
func TransformService(obj any) (any, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil // tombstones and other types pass through
	}
	return &corev1.Service{
		TypeMeta:   svc.TypeMeta,
		ObjectMeta: slimMeta(svc.ObjectMeta, nil),
		Spec:       svc.Spec,
		Status:     corev1.ServiceStatus{LoadBalancer: svc.Status.LoadBalancer},
	}, nil
}

// TransformEndpointSlice keeps a slice's identity, labels (kubernetes.io/service-name, managed-by),
// the last-change-trigger-time annotation, address type, ports and per endpoint the addresses,
// conditions and node name; target references, hostnames, zones, hints and other annotations go.
func TransformEndpointSlice(obj any) (any, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return obj, nil
	}
	out := &discoveryv1.EndpointSlice{
		TypeMeta:    s.TypeMeta,
		ObjectMeta:  slimMeta(s.ObjectMeta, []string{AnnotationLastChangeTriggerTime}),
		AddressType: s.AddressType,
		Ports:       s.Ports,
	}
	if len(s.Endpoints) > 0 {
		out.Endpoints = make([]discoveryv1.Endpoint, len(s.Endpoints))
		for i, ep := range s.Endpoints {
			out.Endpoints[i] = discoveryv1.Endpoint{
				Addresses:  ep.Addresses,
				Conditions: ep.Conditions,
				NodeName:   ep.NodeName,
			}
		}
	}
	return out, nil
}

// TransformNode keeps the node's identity, labels and addresses (NodePort addresses, the Local
// traffic policy's node name); images, conditions, capacity, taints and the rest go.
func TransformNode(obj any) (any, error) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return obj, nil
	}
	return &corev1.Node{
		TypeMeta:   n.TypeMeta,
		ObjectMeta: slimMeta(n.ObjectMeta, nil),
		Status:     corev1.NodeStatus{Addresses: n.Status.Addresses},
	}, nil
}

// slimMeta keeps what the cache and the agent need from metadata: identity, resourceVersion (the
// informer's bookkeeping), deletion timestamp, labels, and the listed annotations.
func slimMeta(m metav1.ObjectMeta, keepAnnotations []string) metav1.ObjectMeta {
	out := metav1.ObjectMeta{
		Name:              m.Name,
		Namespace:         m.Namespace,
		UID:               m.UID,
		ResourceVersion:   m.ResourceVersion,
		Generation:        m.Generation,
		CreationTimestamp: m.CreationTimestamp,
		DeletionTimestamp: m.DeletionTimestamp,
		Labels:            m.Labels,
	}
	for _, k := range keepAnnotations {
		if v, ok := m.Annotations[k]; ok {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	return out
}
