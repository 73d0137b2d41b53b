package e2e

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// restrictedNamespace enforces Pod Security "restricted": the API server's own PodSecurity
// admission judges the controller's pod template there (a dry-run create), not a copy of the rules.
const restrictedNamespace = "e2e-pss-restricted"

var _ = Describe("the applied workloads' security settings", func() {
	BeforeEach(func(ctx SpecContext) {
		Expect(ensureDeployed(ctx)).To(Succeed(), deployed.output)
	})

	It("runs the controller Deployment under restricted Pod Security, read-only, with probes and requests", func(ctx SpecContext) {
		d := &appsv1.Deployment{}
		Expect(suite.Client.Get(ctx, types.NamespacedName{Namespace: systemNamespace, Name: "slicelb-controller"}, d)).To(Succeed())
		spec := d.Spec.Template.Spec
		Expect(spec.ServiceAccountName).To(Equal("slicelb-controller"))
		Expect(spec.HostNetwork).To(BeFalse())
		Expect(spec.Containers).To(HaveLen(1))
		c := spec.Containers[0]
		Expect(c.Args).To(ContainElement("--leader-elect"), "two replicas must elect a leader")
		Expect(spec.SecurityContext).NotTo(BeNil())
		Expect(c.SecurityContext).NotTo(BeNil())
		Expect(c.SecurityContext.Capabilities).NotTo(BeNil())
		Expect(podOrContainer(spec.SecurityContext.RunAsNonRoot, c.SecurityContext.RunAsNonRoot)).To(HaveValue(BeTrue()))
		Expect(c.SecurityContext.ReadOnlyRootFilesystem).To(HaveValue(BeTrue()))
		Expect(c.SecurityContext.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
		Expect(c.SecurityContext.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
		Expect(c.SecurityContext.Capabilities.Add).To(BeEmpty())
		expectProbesAndRequests(c, true)

		By("dry-run creating its pod in a namespace that enforces restricted Pod Security")
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: restrictedNamespace, Labels: map[string]string{
			"pod-security.kubernetes.io/enforce":         "restricted",
			"pod-security.kubernetes.io/enforce-version": "latest",
		}}}
		Expect(client.IgnoreAlreadyExists(suite.Client.Create(ctx, ns))).To(Succeed())
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: restrictedNamespace, Name: "controller-pss"}, Spec: spec}
		Expect(suite.Client.Create(ctx, pod, client.DryRunAll)).To(Succeed(),
			"the API server's PodSecurity admission rejected the controller's pod template")

		By("checking the same dry run rejects a template that breaks restricted (the check can fail)")
		bad := pod.DeepCopy()
		bad.Spec.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_ADMIN"}
		Expect(suite.Client.Create(ctx, bad, client.DryRunAll)).NotTo(Succeed())
	}, SpecTimeout(2*time.Minute))

	It("runs the node DaemonSet on the host network with only NET_ADMIN, on every node whatever its taints", func(ctx SpecContext) {
		ds := &appsv1.DaemonSet{}
		Expect(suite.Client.Get(ctx, types.NamespacedName{Namespace: systemNamespace, Name: "slicelb-node"}, ds)).To(Succeed())
		spec := ds.Spec.Template.Spec
		Expect(spec.ServiceAccountName).To(Equal("slicelb-node"))
		Expect(spec.HostNetwork).To(BeTrue(), "the VIPs live on the node's own slicelb0 device")
		Expect(spec.HostPID).To(BeFalse())
		Expect(spec.HostIPC).To(BeFalse())
		// An empty key with operator Exists and no effect tolerates every taint.
		Expect(spec.Tolerations).To(ContainElement(corev1.Toleration{Operator: corev1.TolerationOpExists}))
		Expect(spec.Containers).To(HaveLen(1))
		c := spec.Containers[0]
		sc := c.SecurityContext
		Expect(sc).NotTo(BeNil())
		Expect(sc.Capabilities).NotTo(BeNil())
		Expect(ptr.Deref(sc.Privileged, false)).To(BeFalse(), "not privileged")
		Expect(sc.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
		Expect(sc.ReadOnlyRootFilesystem).To(HaveValue(BeTrue()))
		Expect(sc.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
		Expect(sc.Capabilities.Add).To(ConsistOf(corev1.Capability("NET_ADMIN")))
		Expect(c.Env).To(ContainElement(corev1.EnvVar{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"},
		}}))
		expectProbesAndRequests(c, false)
		for _, v := range spec.Volumes {
			if v.HostPath != nil {
				Expect(v.HostPath.Path).To(Equal("/proc/sys/net"), "the only host path is the net sysctls")
			}
		}
	}, SpecTimeout(time.Minute))
})

// podOrContainer is the effective setting: the container's wins over the pod's.
func podOrContainer(pod, container *bool) *bool {
	if container != nil {
		return container
	}
	return pod
}

// expectProbesAndRequests: a liveness probe (and a readiness probe when wantReady), and CPU and
// memory requests so the scheduler reserves room for the binary.
func expectProbesAndRequests(c corev1.Container, wantReady bool) {
	GinkgoHelper()
	Expect(c.LivenessProbe).NotTo(BeNil(), "liveness probe")
	Expect(c.LivenessProbe.HTTPGet).NotTo(BeNil())
	Expect(c.LivenessProbe.HTTPGet.Path).To(Equal("/healthz"))
	if wantReady {
		Expect(c.ReadinessProbe).NotTo(BeNil(), "readiness probe")
		Expect(c.ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
	}
	Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceCPU))
	Expect(c.Resources.Requests).To(HaveKey(corev1.ResourceMemory))
	Expect(c.Resources.Requests.Cpu().IsZero()).To(BeFalse())
}
