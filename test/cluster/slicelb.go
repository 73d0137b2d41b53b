package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// What config/default deploys (namespace + namePrefix "slicelb-").
const (
	SystemNamespace     = "slicelb-system"
	ControllerName      = "slicelb-controller" // Deployment and ServiceAccount
	NodeName            = "slicelb-node"       // DaemonSet and ServiceAccount
	probeAddressFlag    = "--health-probe-bind-address="
	metricsAddressFlag  = "--metrics-bind-address="
	leaderNamespaceFlag = "--leader-election-namespace="
)

// Binary is a slicelb binary running as a process with its ServiceAccount's identity.
type Binary struct {
	*Process
	// Kubeconfig is the ServiceAccount identity it runs with (also written to Dir/NAME.kubeconfig).
	Kubeconfig Kubeconfig
	// ProbePort and MetricsPort are its /healthz+/readyz (HTTP) and /metrics (HTTPS) ports on 127.0.0.1.
	ProbePort, MetricsPort int
	// Args are the arguments it was started with.
	Args []string
}

// DeployedArgs are a container's arguments as the applied manifest gives them, with the probe and
// metrics listen addresses moved to the given loopback ports (several binaries share this host's
// network) and extra appended.
func DeployedArgs(c corev1.Container, probePort, metricsPort int, extra ...string) []string {
	var args []string
	for _, a := range c.Args {
		if strings.HasPrefix(a, probeAddressFlag) || strings.HasPrefix(a, metricsAddressFlag) {
			continue
		}
		args = append(args, a)
	}
	args = append(args, fmt.Sprintf("%s127.0.0.1:%d", probeAddressFlag, probePort),
		fmt.Sprintf("%s127.0.0.1:%d", metricsAddressFlag, metricsPort))
	return append(args, extra...)
}

// StartController runs the slicelb-controller binary at path the way the applied Deployment
// slicelb-system/slicelb-controller would: its container's arguments (listen addresses moved to
// free loopback ports), authenticated as the ServiceAccount slicelb-system/slicelb-controller,
// so it has exactly the deployed RBAC. It needs `make deploy` (or ServerSideApply of
// config/default) to have run. In a pod the leader election namespace comes from the mounted
// ServiceAccount; here it is passed as a flag.
func (c *Cluster) StartController(ctx context.Context, path string, extraArgs ...string) (*Binary, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	d, err := cs.AppsV1().Deployments(SystemNamespace).Get(ctx, ControllerName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading the deployed controller (make deploy first): %w", err)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		return nil, fmt.Errorf("deployment %s has %d containers, want 1", ControllerName, len(d.Spec.Template.Spec.Containers))
	}
	b := &Binary{}
	if b.ProbePort, err = FreePort(); err != nil {
		return nil, err
	}
	if b.MetricsPort, err = FreePort(); err != nil {
		return nil, err
	}
	if b.Kubeconfig, err = c.ServiceAccount(ctx, SystemNamespace, ControllerName); err != nil {
		return nil, err
	}
	kcPath := filepath.Join(c.Dir, ControllerName+".kubeconfig")
	if err := b.Kubeconfig.Write(kcPath); err != nil {
		return nil, err
	}
	extra := append([]string{leaderNamespaceFlag + SystemNamespace}, extraArgs...)
	b.Args = DeployedArgs(d.Spec.Template.Spec.Containers[0], b.ProbePort, b.MetricsPort, extra...)
	b.Process, err = c.StartProcess(ProcessOptions{Name: ControllerName, Path: path, Args: b.Args, Env: []string{"KUBECONFIG=" + kcPath}})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// ReadyzURL is the binary's readiness endpoint.
func (b *Binary) ReadyzURL() string { return fmt.Sprintf("http://127.0.0.1:%d/readyz", b.ProbePort) }

// MetricsURL is the binary's metrics endpoint (HTTPS, self-signed, needs an authorized token).
func (b *Binary) MetricsURL() string {
	return fmt.Sprintf("https://127.0.0.1:%d/metrics", b.MetricsPort)
}

// WaitReady polls /readyz until it answers 200; it fails at once when the process exits.
func (b *Binary) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		if exited, err := b.Exited(); exited {
			return fmt.Errorf("%s exited (%v); see %s", b.Name(), err, b.LogPath())
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.ReadyzURL(), nil)
		if err != nil {
			return err
		}
		if resp, err := hc.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("%s not ready within %v; see %s", b.Name(), timeout, b.LogPath()), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
