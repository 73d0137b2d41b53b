package controllers

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/test/utils"
)

// unmanagedLabel marks Services outside the suite manager's --service-selector scope:
// the scope spec uses it, and so do the specs that drive a reconciler of their own.
const unmanagedLabel = "test.slicelb.io/unmanaged"

var (
	ctx       context.Context
	cancel    context.CancelFunc
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client // the specs' own client: direct to the API server, not counted
	// writes counts the requests of the manager's client (its informers, the reconcilers'
	// writes, its events): the no-op and minimal-churn specs assert on it.
	writes = &utils.RequestCounter{}
	recs   Reconcilers
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers Suite")
}

// assetsDir is KUBEBUILDER_ASSETS, or the binaries `make envtest` builds into the repository.
func assetsDir() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	return filepath.Join("..", "bin", "k8s", "1.37.1")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.TODO())
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	SetDefaultConsistentlyDuration(1500 * time.Millisecond)
	SetDefaultConsistentlyPollingInterval(100 * time.Millisecond)

	By("starting kube-apiserver and etcd with dual-stack Service ranges larger than a /24")
	testEnv = &envtest.Environment{
		BinaryAssetsDirectory: assetsDir(),
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	testEnv.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.96.0.0/16,fd00:10:96::/112")
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	cfg.QPS, cfg.Burst = 2000, 4000
	// Every core/v1 Endpoints request draws a deprecation warning; they drown the log.
	cfg.WarningHandler = rest.NoWarnings{}

	Expect(v1alpha1.AddToScheme(scheme.Scheme)).To(Succeed())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme.Scheme})
	Expect(err).NotTo(HaveOccurred())

	By("running the manager with the real reconcilers, scoped away from unmanaged Services")
	mgrCfg := rest.CopyConfig(cfg)
	writes.Wrap(mgrCfg)
	scope, err := labels.Parse("!" + unmanagedLabel)
	Expect(err).NotTo(HaveOccurred())
	mgr, err := ctrl.NewManager(mgrCfg, ctrl.Options{
		Scheme:                 scheme.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  CacheOptions(),
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(SetupIndexes(ctx, mgr.GetCache())).To(Succeed())
	recs, err = SetupReconcilers(mgr, Options{
		MaxEndpointsPerSlice: 100, ServiceSelector: scope, Workers: 4,
	}, AllControllers)
	Expect(err).NotTo(HaveOccurred())
	Expect(NewLoadBalancingPolicyReconciler(mgr).SetupWithManager(mgr)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
