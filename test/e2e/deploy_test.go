package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// deployed records the suite's one `make deploy` (the first spec that needs it runs it).
var deployed struct {
	once    sync.Once
	how     string // "make deploy" with which kubectl, or the Go fallback
	manager string // the field manager the objects were applied with
	output  string
	took    time.Duration
	err     error
}

// ensureDeployed runs `make deploy` against the local control plane once per suite run and
// returns its error; every spec that needs slicelb-system (its ServiceAccounts, RBAC, CRDs) calls
// it first.
func ensureDeployed(ctx context.Context) error {
	deployed.once.Do(func() {
		start := time.Now()
		defer func() { deployed.took = time.Since(start) }()
		kubectl := findKubectl()
		if kubectl == "" {
			deployed.how, deployed.manager = "Go server-side apply (no kubectl, or KUBECTL=-)", goApplyManager
			deployed.output, deployed.err = goApply(ctx)
			return
		}
		deployed.how, deployed.manager = "make deploy KUBECTL="+kubectl, "kubectl"
		cmd := exec.CommandContext(ctx, "make", "deploy", "KUBECTL="+kubectl, "KUSTOMIZE="+kustomizePath())
		cmd.Dir = suite.Root
		cmd.Env = append(os.Environ(), "KUBECONFIG="+suite.Cluster.Kubeconfig)
		out, err := cmd.CombinedOutput()
		deployed.output = string(out)
		if err != nil {
			deployed.err = fmt.Errorf("make deploy: %w", err)
		}
	})
	GinkgoWriter.Printf("deployed with %s in %v:\n%s\n", deployed.how, deployed.took.Round(time.Millisecond), deployed.output)
	return deployed.err
}

// findKubectl is $KUBECTL, else KUBEBUILDER_ASSETS/kubectl (`make kubectl` builds it there), else
// "" (the Go fallback). KUBECTL=- forces the fallback. A kubectl on PATH is not used: it may be
// another version, or a cloud SDK's dispatcher.
func findKubectl() string {
	if k := os.Getenv("KUBECTL"); k == "-" {
		return ""
	} else if k != "" {
		return k
	}
	if p := filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), "kubectl"); isExecutable(p) {
		return p
	}
	return ""
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// appliedBy reports whether the object carries a server-side apply entry of manager (client-side
// `kubectl apply` would leave an Update entry and a last-applied annotation instead).
func appliedBy(u *unstructured.Unstructured, manager string) bool {
	for _, mf := range u.GetManagedFields() {
		if mf.Manager == manager && mf.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

var _ = Describe("make deploy", func() {
	It("applies config/default server-side to the local control plane without error", func(ctx SpecContext) {
		Expect(ensureDeployed(ctx)).To(Succeed(), deployed.output)

		want, err := kustomizeBuild(ctx)
		Expect(err).NotTo(HaveOccurred())
		var kinds []string
		for _, w := range want {
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(w.GroupVersionKind())
			key := types.NamespacedName{Namespace: w.GetNamespace(), Name: w.GetName()}
			Expect(suite.Client.Get(ctx, key, got)).To(Succeed(), "%s %s", w.GetKind(), key)
			Expect(appliedBy(got, deployed.manager)).To(BeTrue(),
				"%s %s was not server-side applied by %q: %v", w.GetKind(), key, deployed.manager, got.GetManagedFields())
			kinds = append(kinds, w.GetKind()+"/"+w.GetName())
		}
		// What the issue requires of config/default, by name (namePrefix slicelb-).
		Expect(kinds).To(ContainElements(
			"Namespace/slicelb-system",
			"CustomResourceDefinition/loadbalancingpolicies.networking.slicelb.io",
			"ServiceAccount/slicelb-controller", "ServiceAccount/slicelb-node",
			"ClusterRole/slicelb-controller-role", "ClusterRole/slicelb-node-role",
			"Deployment/slicelb-controller", "DaemonSet/slicelb-node",
			"Service/slicelb-controller-metrics", "ClusterRole/slicelb-metrics-reader",
		), strings.Join(kinds, "\n"))
	}, SpecTimeout(5*time.Minute))
})
