package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/test/cluster"
)

// systemNamespace is where config/default puts everything (namespace + namePrefix slicelb-).
const systemNamespace = "slicelb-system"

// suite is what every spec shares: one control plane per run.
var suite struct {
	// Root is the module root (the Makefile and config/ live there).
	Root string
	// Cluster is the local control plane; Cluster.Dir holds logs/ and the kubeconfigs.
	Cluster *cluster.Cluster
	// Client and Clientset are the admin's (system:masters).
	Client    client.Client
	Clientset kubernetes.Interface
	// Binaries are slicelb-controller and slicelb-node built from this tree.
	Binaries cluster.Binaries
}

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "e2e")
}

// BeforeSuite starts the run's one control plane. The suite is not meant for ginkgo -p: parallel
// processes would each start their own.
var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(os.Getenv("KUBEBUILDER_ASSETS")).NotTo(BeEmpty(),
		"KUBEBUILDER_ASSETS must name the kube-apiserver and etcd binaries (make test-e2e builds them)")
	// controller-runtime's clients in this process log through its global logger.
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(60 * time.Second)
	SetDefaultEventuallyPollingInterval(200 * time.Millisecond)
	root, err := cluster.ModuleRoot()
	Expect(err).NotTo(HaveOccurred())
	suite.Root = root

	// The binaries build while the control plane starts: both take a while on 2 cores.
	built := make(chan error, 1)
	go func() {
		defer GinkgoRecover()
		bins, err := cluster.BuildBinaries(ctx, root, filepath.Join(stateDir(), "bin"))
		suite.Binaries = bins
		built <- err
	}()

	By("starting etcd and kube-apiserver (Service range " + cluster.DefaultServiceCIDR + ")")
	c, err := cluster.Start(ctx, cluster.Options{Dir: filepath.Join(stateDir(), "cluster")})
	Expect(err).NotTo(HaveOccurred())
	suite.Cluster = c
	GinkgoWriter.Printf("control plane: %s (kubeconfig %s)\n", c.Config.Host, c.Kubeconfig)

	cfg := rest.CopyConfig(c.Config)
	// Every core/v1 Endpoints request draws a deprecation warning; they drown the log.
	cfg.WarningHandler = rest.NoWarnings{}
	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(v1alpha1.AddToScheme(scheme)).To(Succeed())
	Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	suite.Client, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	suite.Clientset, err = kubernetes.NewForConfig(cfg)
	Expect(err).NotTo(HaveOccurred())

	By("building slicelb-controller and slicelb-node")
	Eventually(built).WithTimeout(10 * time.Minute).Should(Receive(Succeed()))
}, NodeTimeout(15*time.Minute))

// failed is set when any spec failed: the state directory (logs of etcd, kube-apiserver and the
// binaries) is then kept for inspection.
var failed bool

var _ = ReportAfterEach(func(r SpecReport) {
	if r.Failed() {
		failed = true
	}
})

var _ = AfterSuite(func() {
	if suite.Cluster != nil {
		Expect(suite.Cluster.Stop()).To(Succeed())
	}
	switch {
	case failed || CurrentSpecReport().Failed():
		GinkgoWriter.Printf("state and logs kept in %s\n", stateDir())
		AddReportEntry("e2e state directory (logs)", stateDir())
	case os.Getenv("E2E_STATE_DIR") == "" && tempState != "":
		Expect(os.RemoveAll(tempState)).To(Succeed())
	}
})

// tempState is the run's temporary state directory (when E2E_STATE_DIR is not set).
var tempState string

// stateDir is E2E_STATE_DIR, or a temporary directory removed after the suite.
func stateDir() string {
	if d := os.Getenv("E2E_STATE_DIR"); d != "" {
		return d
	}
	if tempState == "" {
		d, err := os.MkdirTemp("", "slicelb-e2e-")
		Expect(err).NotTo(HaveOccurred())
		tempState = d
	}
	return tempState
}
