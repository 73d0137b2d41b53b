package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// CacheOptions returns the manager cache options the reconcilers are written for:
// managedFields are stripped from every cached object (never read, often the largest
// part of an object), and Pods keep only the fields the planners read, because Pods are
// by far the most numerous objects this controller caches. Pods and Nodes are only ever
// read, so reads of them return the cached objects without a deep copy: a sync of a
// Service of 20 pods otherwise allocated 20 pod copies (and every Node lookup a Node copy),
// garbage that dominated the controller's allocations and its peak memory.
func CacheOptions() cache.Options {
	readOnly := true
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}:  {Transform: trimPod, UnsafeDisableDeepCopy: &readOnly},
			&corev1.Node{}: {UnsafeDisableDeepCopy: &readOnly},
		},
	}
}

// trimPod keeps what the planners and the event mapping read from a Pod: identity,
// labels, deletion, node, hostname/subdomain, named container ports (named targetPort
// resolution, restartable init containers included), phase, IPs and the Ready condition.
func trimPod(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	slim := &corev1.Pod{
		TypeMeta: pod.TypeMeta,
		Spec: corev1.PodSpec{
			NodeName:       pod.Spec.NodeName,
			Hostname:       pod.Spec.Hostname,
			Subdomain:      pod.Spec.Subdomain,
			Containers:     trimContainers(pod.Spec.Containers),
			InitContainers: trimContainers(pod.Spec.InitContainers),
		},
		Status: corev1.PodStatus{Phase: pod.Status.Phase, PodIP: pod.Status.PodIP, PodIPs: pod.Status.PodIPs},
	}
	slim.ObjectMeta = pod.ObjectMeta
	slim.Annotations = nil
	slim.ManagedFields = nil
	slim.OwnerReferences = nil
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			slim.Status.Conditions = []corev1.PodCondition{c}
		}
	}
	return slim, nil
}

// trimContainers keeps, per container, only the named ports: a Service's targetPort can
// only refer to a port by its name, so unnamed ports (and containers with none, often
// sidecars) are never read. Container order is kept: the first container with the name wins.
func trimContainers(in []corev1.Container) []corev1.Container {
	var out []corev1.Container
	for _, c := range in {
		var named []corev1.ContainerPort
		for _, p := range c.Ports {
			if p.Name != "" {
				named = append(named, p)
			}
		}
		if len(named) > 0 {
			out = append(out, corev1.Container{Name: c.Name, Ports: named, RestartPolicy: c.RestartPolicy})
		}
	}
	return out
}
