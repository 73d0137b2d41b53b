package envtestsuite

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/dataplane/ipvs"
)

func newPolicy(ns, name string, scheduler v1alpha1.Scheduler, timeout int32, targets ...string) *v1alpha1.LoadBalancingPolicy {
	p := &v1alpha1.LoadBalancingPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.LoadBalancingPolicySpec{Scheduler: scheduler},
	}
	if timeout > 0 {
		p.Spec.SessionPersistence = &v1alpha1.SessionPersistence{TimeoutSeconds: timeout}
	}
	for _, t := range targets {
		p.Spec.TargetRefs = append(p.Spec.TargetRefs, v1alpha1.LocalServiceReference{Name: t})
	}
	return p
}

var _ = Describe("LoadBalancingPolicy on the node", func() {
	It("applies the winning policy's scheduler and persistence in place, and falls back when it goes", func() {
		ns := newNamespace()
		n := startAgent(100 * time.Millisecond)
		ip := createService(ns, "web", "10.252.0.1")
		vs := func() ipvs.VirtualServer { v, _ := n.virtualServer(ip); return v }
		Eventually(vs).Should(HaveField("Scheduler", "rr"))

		By("an sh policy with a 60s persistence")
		older := newPolicy(ns, "older", "sh", 60, "web")
		Expect(k8sClient.Create(ctx, older)).To(Succeed())
		Eventually(vs).Should(SatisfyAll(
			HaveField("Scheduler", "sh"), HaveField("Persistent", true), HaveField("Timeout", uint32(60))))

		By("a newer conflicting policy loses to the older one")
		time.Sleep(1100 * time.Millisecond) // creationTimestamp has a one-second resolution
		Expect(k8sClient.Create(ctx, newPolicy(ns, "newer", "lc", 0, "web"))).To(Succeed())
		Consistently(vs, "1s").Should(HaveField("Scheduler", "sh"))

		By("deleting the winner hands the Service to the other policy; the real server stays")
		Expect(k8sClient.Delete(ctx, older)).To(Succeed())
		Eventually(vs).Should(SatisfyAll(
			HaveField("Scheduler", "lc"), HaveField("Persistent", false)))
		Expect(n.realServers(ip)).To(Equal([]string{"10.252.0.1:8080"}))
	})
})
