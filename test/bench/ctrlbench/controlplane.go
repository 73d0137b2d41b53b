package ctrlbench

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// serviceCIDR is the API server's Service range: a /16 holds the 1,100 ClusterIPs of the workload.
const serviceCIDR = "10.96.0.0/16"

// ControlPlane is one fresh etcd + kube-apiserver.
type ControlPlane struct {
	env *envtest.Environment
	// Harness is the harness's own client: high QPS, and every request it sends is counted so that
	// its writes can be told apart from the contender's.
	Harness *kubernetes.Clientset
	Counter *Counter
	// Kubeconfig is a file the contender process reads (a system:masters user of its own).
	Kubeconfig string
}

// StartControlPlane starts etcd and kube-apiserver from assets (KUBEBUILDER_ASSETS) and installs
// the CRDs in crdDir (slicelb-controller also runs the LoadBalancingPolicy controller).
func StartControlPlane(assets, crdDir, workDir string) (*ControlPlane, error) {
	env := &envtest.Environment{BinaryAssetsDirectory: assets, CRDDirectoryPaths: []string{crdDir}, ErrorIfCRDPathMissing: true}
	api := env.ControlPlane.GetAPIServer()
	api.Configure().Set("service-cluster-ip-range", serviceCIDR)
	// The harness writes tens of thousands of objects as fast as it can; the defaults (400/200)
	// would make it, not the contender, the bottleneck.
	api.Configure().Set("max-requests-inflight", "2000")
	api.Configure().Set("max-mutating-requests-inflight", "1000")
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting the control plane: %w", err)
	}
	cp := &ControlPlane{env: env, Counter: &Counter{}}
	if err := cp.setup(cfg, workDir); err != nil {
		_ = env.Stop()
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) setup(cfg *rest.Config, workDir string) error {
	harness := rest.CopyConfig(cfg)
	harness.QPS, harness.Burst = 5000, 10000
	harness.UserAgent = "slicelb-bench-harness"
	// The workload writes core/v1 Endpoints on purpose; one deprecation warning per write would
	// bury the progress bar.
	harness.WarningHandler = rest.NoWarnings{}
	cp.Counter.Wrap(harness)
	cs, err := kubernetes.NewForConfig(harness)
	if err != nil {
		return err
	}
	cp.Harness = cs
	user, err := cp.env.AddUser(envtest.User{Name: "bench-contender", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding the contender's user: %w", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return err
	}
	cp.Kubeconfig = filepath.Join(workDir, "contender.kubeconfig")
	return os.WriteFile(cp.Kubeconfig, kc, 0o600)
}

// Stop stops kube-apiserver and etcd and removes etcd's data.
func (cp *ControlPlane) Stop() error { return cp.env.Stop() }
