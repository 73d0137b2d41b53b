package podview

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func always() *corev1.ContainerRestartPolicy {
	p := corev1.ContainerRestartPolicyAlways
	return &p
}

// fullPod is a Pod with every kind of field: those a view keeps and those it drops.
func fullPod() *corev1.Pod {
	created := metav1.NewTime(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC))
	deleted := metav1.NewTime(created.Add(time.Hour))
	grace := int64(30)
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-0", GenerateName: "web-", Namespace: "shop", UID: "u-1", ResourceVersion: "42", Generation: 3,
			CreationTimestamp: created, DeletionTimestamp: &deleted, DeletionGracePeriodSeconds: &grace,
			Labels:          map[string]string{"app": "web"},
			Annotations:     map[string]string{"big": "value"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "StatefulSet", Name: "web"}},
			Finalizers:      []string{"f"},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubelet"}},
		},
		Spec: corev1.PodSpec{
			NodeName: "n1", Hostname: "web-0", Subdomain: "web", ServiceAccountName: "sa",
			InitContainers: []corev1.Container{
				{Name: "setup", Ports: []corev1.ContainerPort{{Name: "setup", ContainerPort: 1}}},
				{Name: "proxy", RestartPolicy: always(), Ports: []corev1.ContainerPort{{Name: "proxy", ContainerPort: 15001, Protocol: corev1.ProtocolTCP}}},
			},
			Containers: []corev1.Container{
				{Name: "main", Image: "nginx", Ports: []corev1.ContainerPort{
					{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
					{ContainerPort: 9090, Protocol: corev1.ProtocolTCP},
					{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP, HostPort: 53},
				}},
				{Name: "logger", Image: "fluent"},
			},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}},
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: created, Reason: "r", Message: "m"},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "main", Ready: true}},
		},
	}
}

func TestPodKeepsWhatThePlannersRead(t *testing.T) {
	grace := int64(30)
	created := metav1.NewTime(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC))
	deleted := metav1.NewTime(created.Add(time.Hour))
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-0", Namespace: "shop", UID: "u-1", ResourceVersion: "42", Generation: 3,
			CreationTimestamp: created, DeletionTimestamp: &deleted, DeletionGracePeriodSeconds: &grace,
			Labels: map[string]string{"app": "web"},
		},
		Spec: corev1.PodSpec{
			NodeName: "n1", Hostname: "web-0", Subdomain: "web",
			// Only the sidecar of the init containers; unnamed ports and port-less containers dropped.
			InitContainers: []corev1.Container{{Name: "proxy", RestartPolicy: always(), Ports: []corev1.ContainerPort{{Name: "proxy", ContainerPort: 15001, Protocol: corev1.ProtocolTCP}}}},
			Containers: []corev1.Container{{Name: "main", Ports: []corev1.ContainerPort{
				{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
				{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
			}}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: created}},
		},
	}
	if diff := cmp.Diff(want, Of(fullPod()).Pod()); diff != "" {
		t.Fatalf("Of(pod).Pod() (-want +got):\n%s", diff)
	}
}

func TestOfEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*corev1.Pod)
		check  func(*corev1.Pod) string
	}{
		{"podIP only (no podIPs)", func(p *corev1.Pod) { p.Status.PodIPs = nil }, func(p *corev1.Pod) string {
			if p.Status.PodIP != "10.0.0.1" || len(p.Status.PodIPs) != 1 || p.Status.PodIPs[0].IP != "10.0.0.1" {
				return "want podIP and podIPs [10.0.0.1]"
			}
			return ""
		}},
		{"no IP", func(p *corev1.Pod) { p.Status.PodIP, p.Status.PodIPs = "", nil }, func(p *corev1.Pod) string {
			if p.Status.PodIP != "" || p.Status.PodIPs != nil {
				return "want no IP"
			}
			return ""
		}},
		{"no Ready condition", func(p *corev1.Pod) { p.Status.Conditions = p.Status.Conditions[:1] }, func(p *corev1.Pod) string {
			if p.Status.Conditions != nil {
				return "want no conditions"
			}
			return ""
		}},
		{"not ready", func(p *corev1.Pod) { p.Status.Conditions[1].Status = corev1.ConditionFalse }, func(p *corev1.Pod) string {
			if len(p.Status.Conditions) != 1 || p.Status.Conditions[0].Status != corev1.ConditionFalse {
				return "want one Ready=False condition"
			}
			return ""
		}},
		{"no named ports", func(p *corev1.Pod) { p.Spec.Containers, p.Spec.InitContainers = nil, nil }, func(p *corev1.Pod) string {
			if p.Spec.Containers != nil || p.Spec.InitContainers != nil {
				return "want no containers"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := fullPod()
			tt.mutate(pod)
			if msg := tt.check(Of(pod).Pod()); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func TestDeepCopyIsIndependent(t *testing.T) {
	v := Of(fullPod())
	c := v.DeepCopy()
	c.Labels["app"] = "api"
	c.IPs[0] = "10.9.9.9"
	c.Containers[0].Ports[0].Port = 1
	if v.Labels["app"] != "web" || v.IPs[0] != "10.0.0.1" || v.Containers[0].Ports[0].Port != 8080 {
		t.Fatalf("changing the copy changed the original: %+v", v)
	}
	if diff := cmp.Diff(v, v.DeepCopyObject(), cmpopts.IgnoreUnexported(View{})); diff != "" {
		t.Fatalf("DeepCopyObject differs (-orig +copy):\n%s", diff)
	}
}

func TestViewOf(t *testing.T) {
	v := Of(fullPod())
	if ViewOf(v) != v {
		t.Error("a view is returned as it is")
	}
	if got := ViewOf(fullPod()); got == nil || got.Name != "web-0" || got.NodeName != "n1" {
		t.Errorf("a Pod is converted, got %v", got)
	}
	if ViewOf(&corev1.Service{}) != nil {
		t.Error("anything else is nil")
	}
}

func TestFillOverwrites(t *testing.T) {
	pod := fullPod() // every field set, including those a view drops
	Of(fullPod()).Fill(pod)
	if diff := cmp.Diff(Of(fullPod()).Pod(), pod); diff != "" {
		t.Fatalf("Fill left fields of the previous pod (-want +got):\n%s", diff)
	}
}
