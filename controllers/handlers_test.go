package controllers

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/slicelb/slicelb/internal/podview"
)

var _ = Describe("Event handling", func() {
	It("batches pod events: nothing is queued before the period, then one request", func() {
		q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[ctrl.Request]())
		defer q.ShutDown()
		key := types.NamespacedName{Namespace: "ns", Name: "web"}
		enqueue(q, 300*time.Millisecond, []types.NamespacedName{key})
		enqueue(q, 300*time.Millisecond, []types.NamespacedName{key})
		Consistently(q.Len, 200*time.Millisecond).Should(Equal(0))
		Eventually(q.Len).Should(Equal(1))
		Consistently(q.Len, 300*time.Millisecond).Should(Equal(1), "both events joined one sync")
	})

	It("enqueues at once without a batch period", func() {
		q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[ctrl.Request]())
		defer q.ShutDown()
		enqueue(q, 0, []types.NamespacedName{{Namespace: "ns", Name: "web"}})
		Expect(q.Len()).To(Equal(1))
	})

	DescribeTable("pod changes that can change an endpoint",
		func(mutate func(*corev1.Pod), changed bool) {
			base := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{NodeName: "n1"},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}},
					Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
			}
			next := base.DeepCopy()
			mutate(next)
			Expect(podview.EndpointChanged(podview.Of(base), podview.Of(next))).To(Equal(changed))
		},
		Entry("resync (nothing)", func(*corev1.Pod) {}, false),
		Entry("an annotation", func(p *corev1.Pod) { p.Annotations = map[string]string{"a": "b"} }, false),
		Entry("another condition", func(p *corev1.Pod) {
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionTrue})
		}, false),
		Entry("a label", func(p *corev1.Pod) { p.Labels["app"] = "api" }, true),
		Entry("readiness", func(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }, true),
		Entry("deletion", func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{} }, true),
		Entry("phase", func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }, true),
		Entry("IPs", func(p *corev1.Pod) { p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: "fd00::1"}) }, true),
		Entry("node", func(p *corev1.Pod) { p.Spec.NodeName = "n2" }, true),
		Entry("hostname", func(p *corev1.Pod) { p.Spec.Hostname = "h" }, true),
		Entry("subdomain", func(p *corev1.Pod) { p.Spec.Subdomain = "s" }, true),
	)
})
