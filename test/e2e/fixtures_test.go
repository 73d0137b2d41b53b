package e2e

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// readyPod is a Running, Ready pod with the given IP. No kubelet runs here, so the suite writes
// the status a kubelet would (createPodWithStatus).
func readyPod(namespace, name, ip string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:   "e2e-node",
			Containers: []corev1.Container{{Name: "app", Image: "agnhost"}},
		},
		Status: corev1.PodStatus{
			Phase:  corev1.PodRunning,
			PodIP:  ip,
			PodIPs: []corev1.PodIP{{IP: ip}},
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()},
			},
		},
	}
}

// createPodWithStatus creates the pod and then writes its status (create ignores status).
func createPodWithStatus(ctx context.Context, pod *corev1.Pod) error {
	status := pod.Status
	if err := suite.Client.Create(ctx, pod); err != nil {
		return err
	}
	pod.Status = status
	return suite.Client.Status().Update(ctx, pod)
}
