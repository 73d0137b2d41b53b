package reliability

import (
	"context"
	"fmt"
	"sync/atomic"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// nodeName is the node every pod claims to run on (no kubelet: the suite writes pod status).
const nodeName = "reliability-node"

var ipCounter atomic.Uint32

// nextIP hands out distinct pod IPs from 10.128.0.0/9.
func nextIP() string {
	n := ipCounter.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", 128+(n>>16)&127, (n>>8)&255, n&255)
}

func createNamespace(ctx context.Context, name string) {
	err := suite.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if !apierrors.IsAlreadyExists(err) {
		Expect(err).NotTo(HaveOccurred())
	}
}

// service is a ClusterIP Service of spec selecting app=<name>, with one port 80 → 8080 named http.
func service(spec, namespace, name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{specLabel: spec}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// pod is a pod of the Service app (label app=<app>) with a fresh IP; ready or not.
func pod(namespace, name, app string, ready bool) *corev1.Pod {
	ip := nextIP()
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app": app}},
		Spec: corev1.PodSpec{
			NodeName:   nodeName,
			Containers: []corev1.Container{{Name: "app", Image: "agnhost", Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: 8080}}}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}},
		},
	}
}

// createPod creates the pod and writes its status as a kubelet would (create ignores status).
func createPod(ctx context.Context, p *corev1.Pod) error {
	status := p.Status
	if err := suite.Client.Create(ctx, p); err != nil {
		return err
	}
	p.Status = status
	return suite.Client.Status().Update(ctx, p)
}

// setReady flips the pod's Ready condition.
func setReady(ctx context.Context, namespace, name string, ready bool) error {
	p := &corev1.Pod{}
	if err := suite.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, p); err != nil {
		return err
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}
	return suite.Client.Status().Update(ctx, p)
}
