// Package podview is the compact form in which slicelb's endpoint controllers keep Pods in their
// informer cache.
//
// Pods are by far the most numerous objects the controllers cache, and a corev1.Pod costs about
// 2.5 KiB even with every unread field emptied: the struct alone is 1,240 bytes, a container with
// one named port another ~400. A View keeps only what the planners read (identity, labels,
// deletion, node, hostname/subdomain, phase, IPs, the Ready condition and the named ports a
// targetPort can refer to) in about a third of that, and Pod() rebuilds, per sync, the
// corev1.Pod the planners take.
package podview

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// View is what the endpoint controllers read of a Pod. It is a client.Object (ObjectMeta plus
// runtime.Object) so that informers, indexers and event handlers carry it like any object.
type View struct {
	// ObjectMeta keeps name, namespace, UID, resourceVersion, labels, creation and deletion;
	// annotations, owner references, finalizers and managedFields are dropped. Labels is the
	// map of labels, shared with every view carrying the same labels: read-only.
	metav1.ObjectMeta
	labels *labelSet

	NodeName  string
	Hostname  string
	Subdomain string
	Phase     corev1.PodPhase
	// IPs are status.podIPs in order, or status.podIP alone when podIPs is empty.
	IPs []string
	// ReadyStatus is the Ready condition's status, "" when the pod has no Ready condition.
	ReadyStatus     corev1.ConditionStatus
	ReadyTransition metav1.Time
	// Containers hold the named ports of the containers and of the restartable init containers
	// (sidecars), in the order a named targetPort is looked up. Unnamed ports cannot be the
	// target of a Service port, and other init containers never serve traffic.
	Containers []ContainerPorts
}

// ContainerPorts are one container's named ports.
type ContainerPorts struct {
	Name string
	// Sidecar marks an init container with restartPolicy Always.
	Sidecar bool
	Ports   []NamedPort
}

// NamedPort is a named container port.
type NamedPort struct {
	Name     string
	Port     int32
	Protocol corev1.Protocol
}

var _ runtime.Object = &View{}

// GetObjectKind has no type information to give: a View never goes over the wire.
func (v *View) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject copies the view; informers copy objects only on request, but runtime.Object
// demands it.
func (v *View) DeepCopyObject() runtime.Object { return v.DeepCopy() }

// DeepCopy returns an independent copy of v.
func (v *View) DeepCopy() *View {
	if v == nil {
		return nil
	}
	out := *v
	v.DeepCopyInto(&out.ObjectMeta)
	out.labels = nil // the copy has labels of its own
	v.ReadyTransition.DeepCopyInto(&out.ReadyTransition)
	if v.IPs != nil {
		out.IPs = append([]string(nil), v.IPs...)
	}
	if v.Containers != nil {
		out.Containers = make([]ContainerPorts, len(v.Containers))
		for i, c := range v.Containers {
			out.Containers[i] = ContainerPorts{Name: c.Name, Sidecar: c.Sidecar, Ports: append([]NamedPort(nil), c.Ports...)}
		}
	}
	return &out
}

// Of returns the view of pod. The view shares strings and possibly the labels map with pod (the
// informer drops the Pod right after), so pod must not be changed afterwards.
func Of(pod *corev1.Pod) *View {
	v := &View{
		NodeName:  pod.Spec.NodeName,
		Hostname:  pod.Spec.Hostname,
		Subdomain: pod.Spec.Subdomain,
		Phase:     pod.Status.Phase,
	}
	m := &pod.ObjectMeta
	v.Name, v.Namespace, v.UID, v.ResourceVersion = m.Name, m.Namespace, m.UID, m.ResourceVersion
	v.Generation = m.Generation
	if v.labels = sharedLabels(m.Labels); v.labels != nil {
		v.Labels = v.labels.m
	}
	v.CreationTimestamp, v.DeletionTimestamp, v.DeletionGracePeriodSeconds = m.CreationTimestamp, m.DeletionTimestamp, m.DeletionGracePeriodSeconds
	switch {
	case len(pod.Status.PodIPs) > 0:
		v.IPs = make([]string, len(pod.Status.PodIPs))
		for i, ip := range pod.Status.PodIPs {
			v.IPs[i] = ip.IP
		}
	case pod.Status.PodIP != "":
		v.IPs = []string{pod.Status.PodIP}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			v.ReadyStatus, v.ReadyTransition = c.Status, c.LastTransitionTime
		}
	}
	v.Containers = appendNamedPorts(v.Containers, pod.Spec.Containers, false)
	v.Containers = appendNamedPorts(v.Containers, pod.Spec.InitContainers, true)
	return v
}

// appendNamedPorts appends the containers that have named ports; of init containers only the
// sidecars (restartPolicy Always), the only ones a named targetPort may resolve to.
func appendNamedPorts(out []ContainerPorts, containers []corev1.Container, init bool) []ContainerPorts {
	for i := range containers {
		c := &containers[i]
		if init && (c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
			continue
		}
		var named []NamedPort
		for _, p := range c.Ports {
			if p.Name != "" {
				named = append(named, NamedPort{Name: p.Name, Port: p.ContainerPort, Protocol: p.Protocol})
			}
		}
		if len(named) > 0 {
			out = append(out, ContainerPorts{Name: c.Name, Sidecar: init, Ports: named})
		}
	}
	return out
}

// Pod rebuilds the corev1.Pod the planners read: every field the view keeps, in its usual
// place. The result is new (the caller may keep or change it) but shares strings and the
// labels map with the view, which must stay unchanged.
func (v *View) Pod() *corev1.Pod {
	pod := &corev1.Pod{}
	v.Fill(pod)
	return pod
}

// Fill overwrites pod with the view's Pod (see Pod), e.g. an element of a PodList's Items,
// without allocating a Pod of its own.
func (v *View) Fill(pod *corev1.Pod) {
	*pod = corev1.Pod{
		ObjectMeta: v.ObjectMeta,
		Spec:       corev1.PodSpec{NodeName: v.NodeName, Hostname: v.Hostname, Subdomain: v.Subdomain},
		Status:     corev1.PodStatus{Phase: v.Phase},
	}
	if len(v.IPs) > 0 {
		pod.Status.PodIP = v.IPs[0]
		pod.Status.PodIPs = make([]corev1.PodIP, len(v.IPs))
		for i, ip := range v.IPs {
			pod.Status.PodIPs[i] = corev1.PodIP{IP: ip}
		}
	}
	if v.ReadyStatus != "" {
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: v.ReadyStatus, LastTransitionTime: v.ReadyTransition}}
	}
	for _, c := range v.Containers {
		container := corev1.Container{Name: c.Name, Ports: make([]corev1.ContainerPort, len(c.Ports))}
		for i, p := range c.Ports {
			container.Ports[i] = corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: p.Protocol}
		}
		if c.Sidecar {
			always := corev1.ContainerRestartPolicyAlways
			container.RestartPolicy = &always
			pod.Spec.InitContainers = append(pod.Spec.InitContainers, container)
		} else {
			pod.Spec.Containers = append(pod.Spec.Containers, container)
		}
	}
}

// ViewOf returns obj as a view: a View as it is, a Pod converted (Of), anything else nil.
func ViewOf(obj any) *View {
	switch o := obj.(type) {
	case *View:
		return o
	case *corev1.Pod:
		return Of(o)
	}
	return nil
}

// EndpointChanged reports whether anything an endpoint is made of differs between two views of
// a pod (upstream podEndpointsChanged plus the fields slices carry): labels, IPs, readiness,
// phase, deletion, node, hostname and subdomain. Owner, annotation or other condition changes,
// most pod updates, do not.
func EndpointChanged(a, b *View) bool {
	return !maps.Equal(a.Labels, b.Labels) ||
		(a.DeletionTimestamp == nil) != (b.DeletionTimestamp == nil) ||
		a.Phase != b.Phase ||
		!slices.Equal(a.IPs, b.IPs) ||
		a.ReadyStatus != b.ReadyStatus ||
		a.NodeName != b.NodeName ||
		a.Hostname != b.Hostname ||
		a.Subdomain != b.Subdomain
}
