package controllers

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/slicelb/slicelb/api/v1alpha1"
)

// newPolicy is a LoadBalancingPolicy of ns targeting the named Services.
func newPolicy(ns, name string, scheduler v1alpha1.Scheduler, targets ...string) *v1alpha1.LoadBalancingPolicy {
	p := &v1alpha1.LoadBalancingPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.LoadBalancingPolicySpec{Scheduler: scheduler},
	}
	for _, t := range targets {
		p.Spec.TargetRefs = append(p.Spec.TargetRefs, v1alpha1.LocalServiceReference{Name: t})
	}
	return p
}

// createInvalid creates p and returns the API server's message, failing unless the create was
// refused as Invalid (HTTP 422), i.e. by the CRD's schema or CEL rules.
func createInvalid(p *v1alpha1.LoadBalancingPolicy) string {
	err := k8sClient.Create(ctx, p)
	Expect(err).To(HaveOccurred(), "the API server accepted an invalid LoadBalancingPolicy")
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "not an Invalid error: %v", err)
	return err.Error()
}

var _ = Describe("LoadBalancingPolicy validation by the API server", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("rejects an unknown scheduler, naming the field, the value and the supported schedulers", func() {
		msg := createInvalid(newPolicy(ns, "bad", "fastest", "web"))
		Expect(msg).To(ContainSubstring(`spec.scheduler: Unsupported value: "fastest": supported values: ` +
			`"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq"`))
	})

	It("accepts every IPVS scheduler of the enum", func() {
		for i, s := range []v1alpha1.Scheduler{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "mh", "sed", "nq"} {
			Expect(k8sClient.Create(ctx, newPolicy(ns, fmt.Sprintf("s%d", i), s, "web"))).To(Succeed(), "scheduler %s", s)
		}
	})

	It("accepts 16 targets and rejects 17", func() {
		targets := make([]string, 17)
		for i := range targets {
			targets[i] = fmt.Sprintf("svc-%d", i)
		}
		msg := createInvalid(newPolicy(ns, "seventeen", "rr", targets...))
		Expect(msg).To(ContainSubstring("spec.targetRefs: Too many: 17: must have at most 16 items"))
		Expect(k8sClient.Create(ctx, newPolicy(ns, "sixteen", "rr", targets[:16]...))).To(Succeed())
	})

	It("rejects no target at all", func() {
		msg := createInvalid(newPolicy(ns, "none", "rr"))
		Expect(msg).To(ContainSubstring("spec.targetRefs"))
	})

	It("rejects a Service named twice with the CEL rule's message", func() {
		msg := createInvalid(newPolicy(ns, "twice", "rr", "web", "api", "web"))
		Expect(msg).To(ContainSubstring("spec.targetRefs: Invalid value: targetRefs must not name a Service twice"))
	})

	It("rejects a target of another kind or group", func() {
		p := newPolicy(ns, "pod", "rr", "web")
		p.Spec.TargetRefs[0].Kind = "Pod"
		Expect(createInvalid(p)).To(ContainSubstring(`spec.targetRefs[0].kind: Unsupported value: "Pod": supported values: "Service"`))
		p = newPolicy(ns, "apps", "rr", "web")
		p.Spec.TargetRefs[0].Group = "apps"
		Expect(createInvalid(p)).To(ContainSubstring(`spec.targetRefs[0].group: Unsupported value: "apps"`))
	})

	It("defaults a target's group and kind to the core Service", func() {
		Expect(k8sClient.Create(ctx, newPolicy(ns, "defaults", "rr", "web"))).To(Succeed())
		got := &v1alpha1.LoadBalancingPolicy{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "defaults"}, got)).To(Succeed())
		Expect(got.Spec.TargetRefs).To(Equal([]v1alpha1.LocalServiceReference{{Group: "", Kind: "Service", Name: "web"}}))
	})

	It("rejects a drainTimeout over 24h or below 0s, and accepts 0s and 24h", func() {
		over := newPolicy(ns, "long", "rr", "web")
		over.Spec.DrainTimeout = &metav1.Duration{Duration: 24*time.Hour + time.Second}
		Expect(createInvalid(over)).To(ContainSubstring(`spec.drainTimeout: Invalid value: "24h0m1s": drainTimeout must be between 0s and 24h`))
		negative := newPolicy(ns, "negative", "rr", "web")
		negative.Spec.DrainTimeout = &metav1.Duration{Duration: -time.Second}
		Expect(createInvalid(negative)).To(ContainSubstring(`spec.drainTimeout: Invalid value: "-1s": drainTimeout must be between 0s and 24h`))
		for name, d := range map[string]time.Duration{"zero": 0, "day": 24 * time.Hour} {
			p := newPolicy(ns, name, "rr", "web")
			p.Spec.DrainTimeout = &metav1.Duration{Duration: d}
			Expect(k8sClient.Create(ctx, p)).To(Succeed(), "drainTimeout %s", d)
		}
	})

	It("accepts the sample in config/samples", func() {
		data, err := os.ReadFile(filepath.Join("..", "config", "samples", "networking_v1alpha1_loadbalancingpolicy.yaml"))
		Expect(err).NotTo(HaveOccurred())
		sample := &v1alpha1.LoadBalancingPolicy{}
		Expect(yaml.UnmarshalStrict(data, sample)).To(Succeed())
		sample.Namespace = ns
		Expect(k8sClient.Create(ctx, sample)).To(Succeed())
	})

	It("rejects a session persistence timeout outside 1s..24h", func() {
		p := newPolicy(ns, "sticky", "sh", "web")
		p.Spec.SessionPersistence = &v1alpha1.SessionPersistence{TimeoutSeconds: 86401}
		Expect(createInvalid(p)).To(ContainSubstring("spec.sessionPersistence.timeoutSeconds: Invalid value: 86401: " +
			"spec.sessionPersistence.timeoutSeconds in body should be less than or equal to 86400"))
		p.Spec.SessionPersistence.TimeoutSeconds = 0
		Expect(createInvalid(p)).To(ContainSubstring("spec.sessionPersistence.timeoutSeconds"))
	})
})
