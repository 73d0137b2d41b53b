package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// DefaultServiceCIDR is the Service IP range of the local API server: a /16 (65k Services), where
// envtest's default /24 would run out at 254.
const DefaultServiceCIDR = "10.96.0.0/16"

// Names of the files and directories inside the state directory.
const (
	kubeconfigFile = "kubeconfig"
	etcdDir        = "etcd"
	apiserverDir   = "apiserver"
	logsDir        = "logs"
)

// startTimeout bounds each of etcd's and the API server's start (health check green); the API
// server's first start on a loaded 2-core machine takes ~5-20 s.
const startTimeout = 2 * time.Minute

// Options configure Start.
type Options struct {
	// Dir is the state directory: etcd data, certificates, logs/, the admin kubeconfig, pids.
	// It is created if missing and its previous control plane state is discarded. Empty means a
	// temporary directory that Stop removes.
	Dir string
	// AssetsDir holds the kube-apiserver and etcd binaries; empty means $KUBEBUILDER_ASSETS.
	AssetsDir string
	// ServiceCIDR is the API server's --service-cluster-ip-range; empty means DefaultServiceCIDR.
	ServiceCIDR string
	// Detached lets the processes outlive this Go program (make demo): their pids are recorded in
	// Dir/pids and StopDir(Dir) stops them. Stop works as well.
	Detached bool
}

// Cluster is a running local control plane.
type Cluster struct {
	// Dir is the state directory.
	Dir string
	// Config is the admin's REST config (a client certificate in group system:masters).
	Config *rest.Config
	// Kubeconfig is the path of the admin kubeconfig, Dir/kubeconfig.
	Kubeconfig string

	admin    Kubeconfig
	plane    *envtest.ControlPlane // nil for an attached (detached, started elsewhere) cluster
	tempDir  bool
	detached bool

	mu    sync.Mutex
	procs []*Process
	logs  []*os.File
}

// Start starts etcd and kube-apiserver, waits until both are healthy and writes the admin
// kubeconfig. The processes get their own process group (envtest sets Setpgid), so a terminal's
// Ctrl-C does not reach them; with Options.Detached they survive this program's exit.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	c, err := newCluster(o)
	if err != nil {
		return nil, err
	}
	if err := c.startPlane(ctx, o); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// newCluster prepares the state directory.
func newCluster(o Options) (*Cluster, error) {
	c := &Cluster{Dir: o.Dir, detached: o.Detached}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "slicelb-cluster-")
		if err != nil {
			return nil, err
		}
		c.Dir, c.tempDir = d, true
	}
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, err
	}
	c.Dir = abs
	// A previous control plane's state (other ports, other CA) would only confuse the new one.
	if running, _ := readPids(c.Dir); len(running) > 0 {
		return nil, fmt.Errorf("a control plane from %s is still running (pids %v): stop it first (StopDir)", c.Dir, pidsOf(running))
	}
	for _, p := range []string{etcdDir, apiserverDir, logsDir, kubeconfigFile, pidsFile} {
		if err := os.RemoveAll(filepath.Join(c.Dir, p)); err != nil {
			return nil, err
		}
	}
	for _, p := range []string{etcdDir, apiserverDir, logsDir} {
		if err := os.MkdirAll(filepath.Join(c.Dir, p), 0o700); err != nil {
			return nil, err
		}
	}
	c.Kubeconfig = filepath.Join(c.Dir, kubeconfigFile)
	return c, nil
}

// startPlane starts envtest's ControlPlane with data and certificates in the state directory and
// the processes' output in log files. Files, not pipes: a pipe would break (SIGPIPE) when a
// detached cluster's parent exits.
func (c *Cluster) startPlane(ctx context.Context, o Options) error {
	assets := o.AssetsDir
	if assets == "" {
		assets = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if assets == "" {
		return errors.New("no envtest binaries: set Options.AssetsDir or KUBEBUILDER_ASSETS (make envtest builds them)")
	}
	for _, bin := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(assets, bin)); err != nil {
			return fmt.Errorf("envtest binary missing (make envtest builds it): %w", err)
		}
	}
	etcdLog, err := c.openLog("etcd")
	if err != nil {
		return err
	}
	apiLog, err := c.openLog("kube-apiserver")
	if err != nil {
		return err
	}
	cidr := o.ServiceCIDR
	if cidr == "" {
		cidr = DefaultServiceCIDR
	}
	api := &envtest.APIServer{
		Path: filepath.Join(assets, "kube-apiserver"), CertDir: filepath.Join(c.Dir, apiserverDir),
		Out: apiLog, Err: apiLog, StartTimeout: startTimeout, StopTimeout: 30 * time.Second,
	}
	api.Configure().Set("service-cluster-ip-range", cidr)
	c.plane = &envtest.ControlPlane{
		Etcd: &envtest.Etcd{
			Path: filepath.Join(assets, "etcd"), DataDir: filepath.Join(c.Dir, etcdDir),
			Out: etcdLog, Err: etcdLog, StartTimeout: startTimeout, StopTimeout: 30 * time.Second,
		},
		APIServer: api,
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := c.plane.Start(); err != nil {
		return fmt.Errorf("starting the control plane (logs in %s): %w", filepath.Join(c.Dir, logsDir), err)
	}
	return c.writeAdmin()
}

// writeAdmin provisions the admin user and writes its kubeconfig (and, when detached, the pids).
func (c *Cluster) writeAdmin() error {
	user, err := c.plane.AddUser(envtest.User{Name: "slicelb-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return err
	}
	c.Config = rest.CopyConfig(user.Config())
	c.admin = kubeconfigFromREST(c.Config)
	if err := c.admin.Write(c.Kubeconfig); err != nil {
		return err
	}
	if !c.detached {
		return nil
	}
	return c.recordChildren("etcd", "kube-apiserver")
}

// Port is the API server's port on 127.0.0.1.
func (c *Cluster) Port() int {
	u, err := url.Parse(c.Config.Host)
	if err != nil {
		return 0
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

// Admin is the admin kubeconfig (system:masters).
func (c *Cluster) Admin() Kubeconfig { return c.admin }

// Stop stops every process StartProcess started (newest first), then the API server and etcd, and
// removes a temporary state directory. For an attached cluster it stops the recorded pids.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	procs := c.procs
	c.procs = nil
	c.mu.Unlock()
	var errs []error
	for i := len(procs) - 1; i >= 0; i-- {
		errs = append(errs, procs[i].Stop(10*time.Second))
	}
	if c.plane != nil {
		errs = append(errs, c.plane.Stop())
	} else {
		errs = append(errs, StopDir(c.Dir))
	}
	for _, f := range c.logs {
		_ = f.Close()
	}
	if c.detached || c.plane == nil {
		errs = append(errs, os.RemoveAll(filepath.Join(c.Dir, pidsFile)))
	}
	if c.tempDir {
		errs = append(errs, os.RemoveAll(c.Dir))
	}
	return errors.Join(errs...)
}

// openLog opens (truncating) Dir/logs/NAME.log; the cluster closes it on Stop.
func (c *Cluster) openLog(name string) (*os.File, error) {
	f, err := os.OpenFile(c.LogPath(name), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.logs = append(c.logs, f)
	c.mu.Unlock()
	return f, nil
}

// LogPath is where the process NAME's output goes: Dir/logs/NAME.log (etcd, kube-apiserver, and
// every StartProcess name).
func (c *Cluster) LogPath(name string) string {
	return filepath.Join(c.Dir, logsDir, name+".log")
}
