package reliability

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/slicelb/slicelb/test/cluster"
)

// suite is what every spec shares: one control plane and one controller binary per run.
var suite struct {
	Root    string
	Cluster *cluster.Cluster
	// Client and Clientset are the admin's, with a high client-side rate limit so that fixtures
	// (thousands of pods) are created fast.
	Client    client.Client
	Clientset kubernetes.Interface
	// Controller is the slicelb-controller binary built from this tree.
	Controller string
	dir        string
}

func TestReliability(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "reliability")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(os.Getenv("KUBEBUILDER_ASSETS")).NotTo(BeEmpty(),
		"KUBEBUILDER_ASSETS must name the kube-apiserver and etcd binaries (make envtest builds them)")
	SetDefaultEventuallyTimeout(60 * time.Second)
	SetDefaultEventuallyPollingInterval(250 * time.Millisecond)
	root, err := cluster.ModuleRoot()
	Expect(err).NotTo(HaveOccurred())
	suite.Root = root
	suite.dir = os.Getenv("RELIABILITY_STATE_DIR")
	if suite.dir == "" {
		suite.dir, err = os.MkdirTemp("", "slicelb-reliability-")
		Expect(err).NotTo(HaveOccurred())
	}
	built := make(chan error, 1)
	suite.Controller = filepath.Join(suite.dir, "bin", "slicelb-controller")
	go func() {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", suite.Controller, "./cmd/controller")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			err = fmt.Errorf("go build ./cmd/controller: %w\n%s", err, out)
		}
		built <- err
	}()
	By("starting etcd and kube-apiserver")
	c, err := cluster.Start(ctx, cluster.Options{Dir: filepath.Join(suite.dir, "cluster")})
	Expect(err).NotTo(HaveOccurred())
	suite.Cluster = c
	cfg := rest.CopyConfig(c.Config)
	cfg.WarningHandler = rest.NoWarnings{} // every core/v1 Endpoints request draws a deprecation warning
	cfg.QPS, cfg.Burst = 2000, 4000
	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	suite.Client, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	suite.Clientset, err = kubernetes.NewForConfig(cfg)
	Expect(err).NotTo(HaveOccurred())
	By("installing the LoadBalancingPolicy CRD (the controller watches it)")
	Expect(installCRDs(ctx, filepath.Join(root, "config", "crd", "bases"))).To(Succeed())
	By("building slicelb-controller")
	Eventually(built).WithTimeout(10 * time.Minute).Should(Receive(Succeed()))
}, NodeTimeout(15*time.Minute))

var failed bool

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		failed = true
	}
})

var _ = AfterSuite(func() {
	printOutcomes()
	if suite.Cluster != nil {
		Expect(suite.Cluster.Stop()).To(Succeed())
	}
	if failed || os.Getenv("RELIABILITY_STATE_DIR") != "" {
		fmt.Printf("reliability: state and logs kept in %s\n", suite.dir)
		return
	}
	Expect(os.RemoveAll(suite.dir)).To(Succeed())
})

// installCRDs applies every CRD manifest of dir server-side and waits until it is established.
func installCRDs(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	var objs []*unstructured.Unstructured
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		objs = append(objs, u)
	}
	_, err = cluster.ServerSideApply(ctx, suite.Cluster.Config, "slicelb-reliability", objs)
	return err
}

// outcomes are the measured results of the run, printed at the end for the closing note.
var outcomes struct {
	mu    sync.Mutex
	lines map[string]string
}

// record stores a measured outcome under key (e.g. "failover: takeover time") and prints it.
func record(key, format string, args ...any) {
	v := fmt.Sprintf(format, args...)
	outcomes.mu.Lock()
	if outcomes.lines == nil {
		outcomes.lines = map[string]string{}
	}
	outcomes.lines[key] = v
	outcomes.mu.Unlock()
	GinkgoWriter.Printf("MEASURED %s: %s\n", key, v)
	AddReportEntry(key, v)
}

func printOutcomes() {
	outcomes.mu.Lock()
	defer outcomes.mu.Unlock()
	keys := make([]string, 0, len(outcomes.lines))
	for k := range outcomes.lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("\n==== reliability: measured outcomes ====\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%-55s %s\n", k, outcomes.lines[k])
	}
	fmt.Print(b.String())
}
