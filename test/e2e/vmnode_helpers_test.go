package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/slicelb/slicelb/test/vmnode"
)

// trafficNamespace holds the traffic specs' objects; vmNodeName is their node (the VM).
const (
	trafficNamespace = "e2e-traffic"
	vmNodeName       = "vm-node"
)

// vmAssets is VM_ASSETS (make test-e2e passes bin/vm), relative paths taken from the module root.
func vmAssets() string {
	GinkgoHelper()
	dir := os.Getenv("VM_ASSETS")
	Expect(dir).NotTo(BeEmpty(), "VM_ASSETS must name the VM kernel and modules (make test-e2e fetches them with make vm-assets)")
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(suite.Root, dir)
	}
	return dir
}

// vmPod is a Ready pod bound to the VM node serving HTTP on 80 (the kubelet stand-in in the VM
// gives it a network namespace at ip); extra container ports are served too (TCP: HTTP answering
// the pod's name, UDP: an echo of it).
func vmPod(name, ip string, labels map[string]string, ports ...corev1.ContainerPort) *corev1.Pod {
	p := readyPod(trafficNamespace, name, ip, labels)
	p.Spec.NodeName = vmNodeName
	p.Spec.Containers[0].Ports = append([]corev1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}}, ports...)
	return p
}

// setPodReady writes the pod's Ready condition, as a kubelet does when a readiness probe starts
// failing or passes again.
func setPodReady(ctx context.Context, name string, ready bool) {
	GinkgoHelper()
	pod := &corev1.Pod{}
	Expect(suite.Client.Get(ctx, types.NamespacedName{Namespace: trafficNamespace, Name: name}, pod)).To(Succeed())
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}
	Expect(suite.Client.Status().Update(ctx, pod)).To(Succeed())
}

// httpService is a ClusterIP Service on port 80 → the pods' "http" port.
func httpService(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: trafficNamespace, Name: name},
		Spec: corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{
			{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP},
		}},
	}
}

// createService creates the Service and returns its ClusterIP:80.
func createService(ctx context.Context, svc *corev1.Service) string {
	GinkgoHelper()
	Expect(suite.Client.Create(ctx, svc)).To(Succeed())
	Expect(svc.Spec.ClusterIP).NotTo(BeEmpty())
	return svc.Spec.ClusterIP + ":80"
}

// get makes n requests through target from the VM's client namespace.
func get(ctx context.Context, node *vmnode.Node, target string, n int) []string {
	GinkgoHelper()
	replies, err := node.HTTP(ctx, target, "/hostname.html", n)
	Expect(err).NotTo(HaveOccurred())
	return replies
}

// distinct are the different answers, sorted.
func distinct(replies []string) []string {
	var out []string
	for _, r := range replies {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// errorsIn are the failed attempts among replies.
func errorsIn(replies []string) []string {
	var out []string
	for _, r := range replies {
		if strings.HasPrefix(r, "error:") {
			out = append(out, r)
		}
	}
	return out
}

// report prints a measured line into the spec output (make test-e2e runs -ginkgo.v) and the report.
func report(name, format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	GinkgoWriter.Printf("%s: %s\n", name, line)
	AddReportEntry(name, line)
}

// pollInterval between traffic probes: tight enough to measure programming latency to ~0.1 s.
const pollInterval = 100 * time.Millisecond

// keyOf names an object of the traffic namespace.
func keyOf(name string) types.NamespacedName {
	return types.NamespacedName{Namespace: trafficNamespace, Name: name}
}

// svcTarget is an existing Service's ClusterIP:80.
func svcTarget(ctx context.Context, name string) string {
	GinkgoHelper()
	svc := &corev1.Service{}
	Expect(suite.Client.Get(ctx, keyOf(name), svc)).To(Succeed())
	return svc.Spec.ClusterIP + ":80"
}
