package controllers

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// policyTarget creates a Service a policy can target. It carries the unmanaged label, so the
// Endpoints/EndpointSlice controllers leave it alone and the namespace's writes are the policy
// controller's only.
func policyTarget(ns, name string) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{unmanagedLabel: "true"}},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	Expect(k8sClient.Create(ctx, svc)).To(Succeed())
	return svc
}

// acceptedOf returns the policy's Accepted condition as "Status/Reason/generation: message"
// ("" while there is none).
func acceptedOf(ns, name string) func() string {
	return func() string {
		p := &v1alpha1.LoadBalancingPolicy{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p)).To(Succeed())
		c := apimeta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionAccepted)
		if c == nil {
			return ""
		}
		return fmt.Sprintf("%s/%s/%d: %s", c.Status, c.Reason, c.ObservedGeneration, c.Message)
	}
}

// policyReconciles is the number of reconciles the policy controller has finished.
func policyReconciles() float64 {
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	var n float64
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == LoadBalancingPolicyControllerName {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// updatePolicy applies change to the current policy, retrying on conflicts with the controller's
// status writes.
func updatePolicy(p *v1alpha1.LoadBalancingPolicy, change func(*v1alpha1.LoadBalancingPolicy)) {
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p); err != nil {
			return err
		}
		change(p)
		return k8sClient.Update(ctx, p)
	})).To(Succeed())
}

// createAfter creates p once the wall clock is past the creation second of older, so that p is
// strictly younger (creationTimestamp has a one-second resolution).
func createAfter(older, p *v1alpha1.LoadBalancingPolicy) {
	time.Sleep(time.Until(older.CreationTimestamp.Add(1100 * time.Millisecond)))
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	Expect(p.CreationTimestamp.After(older.CreationTimestamp.Time)).To(BeTrue())
}

var _ = Describe("LoadBalancingPolicy status", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("is Accepted for a valid policy whose targets exist, with an Accepted event", func() {
		policyTarget(ns, "web")
		policyTarget(ns, "api")
		Expect(k8sClient.Create(ctx, newPolicy(ns, "p", "sh", "web", "api"))).To(Succeed())
		Eventually(acceptedOf(ns, "p")).Should(Equal(`True/Accepted/1: Applied to Services "web", "api"`))
		Eventually(eventsWithReason(ns, v1alpha1.ReasonAccepted)).Should(ConsistOf(
			`LoadBalancingPolicy/p: Applied to Services "web", "api"`))
	})

	It("is TargetNotFound until the target Service appears, then Accepted; TargetNotFound again when it goes", func() {
		Expect(k8sClient.Create(ctx, newPolicy(ns, "p", "lc", "web"))).To(Succeed())
		Eventually(acceptedOf(ns, "p")).Should(Equal(`False/TargetNotFound/1: Service "web" not found`))
		Eventually(eventsWithReason(ns, v1alpha1.ReasonTargetNotFound)).Should(ConsistOf(
			`LoadBalancingPolicy/p: Service "web" not found`))

		svc := policyTarget(ns, "web")
		Eventually(acceptedOf(ns, "p")).Should(Equal(`True/Accepted/1: Applied to Service "web"`))
		Eventually(eventsWithReason(ns, v1alpha1.ReasonAccepted)).Should(ConsistOf(
			`LoadBalancingPolicy/p: Applied to Service "web"`))

		Expect(k8sClient.Delete(ctx, svc)).To(Succeed())
		Eventually(acceptedOf(ns, "p")).Should(Equal(`False/TargetNotFound/1: Service "web" not found`))
	})

	It("lets the older of two policies win a Service: the newer is Conflicted until the older is deleted", func() {
		policyTarget(ns, "web")
		// Names ordered against age: the winner must be picked by creationTimestamp, not by name.
		older := newPolicy(ns, "z-old", "sh", "web")
		Expect(k8sClient.Create(ctx, older)).To(Succeed())
		Eventually(acceptedOf(ns, "z-old")).Should(Equal(`True/Accepted/1: Applied to Service "web"`))
		createAfter(older, newPolicy(ns, "a-new", "rr", "web"))

		Eventually(acceptedOf(ns, "a-new")).Should(Equal(
			`False/Conflicted/1: Service "web" is governed by the older LoadBalancingPolicy "z-old"`))
		Consistently(acceptedOf(ns, "z-old")).Should(Equal(`True/Accepted/1: Applied to Service "web"`))
		Eventually(eventsWithReason(ns, v1alpha1.ReasonConflicted)).Should(ConsistOf(
			`LoadBalancingPolicy/a-new: Service "web" is governed by the older LoadBalancingPolicy "z-old"`))

		Expect(k8sClient.Delete(ctx, older)).To(Succeed())
		Eventually(acceptedOf(ns, "a-new")).Should(Equal(`True/Accepted/1: Applied to Service "web"`))
	})

	It("frees a Service for the newer policy when the older one is retargeted", func() {
		policyTarget(ns, "web")
		policyTarget(ns, "api")
		older := newPolicy(ns, "old", "sh", "web")
		Expect(k8sClient.Create(ctx, older)).To(Succeed())
		Eventually(acceptedOf(ns, "old")).ShouldNot(BeEmpty())
		createAfter(older, newPolicy(ns, "new", "rr", "web"))
		Eventually(acceptedOf(ns, "new")).Should(HavePrefix("False/Conflicted/1: "))

		updatePolicy(older, func(p *v1alpha1.LoadBalancingPolicy) {
			p.Spec.TargetRefs = []v1alpha1.LocalServiceReference{{Name: "api"}}
		})
		Eventually(acceptedOf(ns, "old")).Should(Equal(`True/Accepted/2: Applied to Service "api"`))
		Eventually(acceptedOf(ns, "new")).Should(Equal(`True/Accepted/1: Applied to Service "web"`))
	})

	It("follows spec changes with observedGeneration, keeping lastTransitionTime while Accepted stays True", func() {
		policyTarget(ns, "web")
		p := newPolicy(ns, "p", "rr", "web")
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		Eventually(acceptedOf(ns, "p")).Should(Equal(`True/Accepted/1: Applied to Service "web"`))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		since := apimeta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionAccepted).LastTransitionTime

		updatePolicy(p, func(p *v1alpha1.LoadBalancingPolicy) {
			p.Spec.Scheduler = v1alpha1.SchedulerMaglevHashing
			p.Spec.DrainTimeout = &metav1.Duration{Duration: time.Minute}
		})
		Expect(p.Generation).To(BeEquivalentTo(2))
		Eventually(acceptedOf(ns, "p")).Should(Equal(`True/Accepted/2: Applied to Service "web"`))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), p)).To(Succeed())
		Expect(apimeta.FindStatusCondition(p.Status.Conditions, v1alpha1.ConditionAccepted).LastTransitionTime).To(Equal(since))
		// Only one Accepted event: a new generation with the same outcome is not a transition.
		Consistently(eventsWithReason(ns, v1alpha1.ReasonAccepted)).Should(HaveLen(1))
	})

	It("makes no write on a resync with nothing changed, and writes when something did", func() {
		policyTarget(ns, "web")
		p := newPolicy(ns, "p", "wrr", "web")
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		Eventually(acceptedOf(ns, "p")).Should(Equal(`True/Accepted/1: Applied to Service "web"`))
		Eventually(eventsWithReason(ns, v1alpha1.ReasonAccepted)).Should(HaveLen(1))

		By("touching the policy's metadata: a reconcile that finds the status right")
		mark, reconciles := writes.Mark(), policyReconciles()
		updatePolicy(p, func(p *v1alpha1.LoadBalancingPolicy) {
			p.Annotations = map[string]string{"test.slicelb.io/resync": "1"}
		})
		Eventually(policyReconciles).Should(BeNumerically(">", reconciles))
		Consistently(func() []string { return nsWrites(ns, mark) }).Should(BeEmpty())

		By("changing the spec: exactly one status write")
		updatePolicy(p, func(p *v1alpha1.LoadBalancingPolicy) { p.Spec.Scheduler = v1alpha1.SchedulerNeverQueue })
		Eventually(acceptedOf(ns, "p")).Should(Equal(`True/Accepted/2: Applied to Service "web"`))
		Consistently(func() []string { return nsWrites(ns, mark) }).Should(ConsistOf(
			"PUT /apis/networking.slicelb.io/v1alpha1/namespaces/" + ns + "/loadbalancingpolicies/p/status"))
	})
})
