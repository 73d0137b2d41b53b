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
// ServiceAccount; here it is passed as a flag. The process is named slicelb-controller.
func (c *Cluster) StartController(ctx context.Context, path string, extraArgs ...string) (*Binary, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	d, err := cs.AppsV1().Deployments(SystemNamespace).Get(ctx, ControllerName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading the deployed controller (make deploy first): %w", err)
	}
	extra := append([]string{leaderNamespaceFlag + SystemNamespace}, extraArgs...)
	return c.startDeployed(ctx, ControllerName, ControllerName, d.Spec.Template.Spec, path, nil, extra)
}

// StartNode runs the slicelb-node binary at path the way the applied DaemonSet
// slicelb-system/slicelb-node would on node nodeName: its container's arguments (listen
// addresses moved to free loopback ports), NODE_NAME as the downward API sets it, authenticated as
// the ServiceAccount slicelb-system/slicelb-node. On a host without IPVS pass "--fake-kernel" in
// extraArgs. The process is named slicelb-node-NODENAME.
func (c *Cluster) StartNode(ctx context.Context, path, nodeName string, extraArgs ...string) (*Binary, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	ds, err := cs.AppsV1().DaemonSets(SystemNamespace).Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading the deployed node DaemonSet (make deploy first): %w", err)
	}
	return c.startDeployed(ctx, NodeName+"-"+nodeName, NodeName, ds.Spec.Template.Spec, path,
		[]string{"NODE_NAME=" + nodeName}, extraArgs)
}

// startDeployed starts path as process name with the single container of spec's arguments,
// authenticated as the ServiceAccount slicelb-system/serviceAccount (its kubeconfig written to
// Dir/SERVICEACCOUNT.kubeconfig).
func (c *Cluster) startDeployed(ctx context.Context, name, serviceAccount string, spec corev1.PodSpec, path string, env, extra []string) (*Binary, error) {
	if len(spec.Containers) != 1 {
		return nil, fmt.Errorf("%s: the pod template has %d containers, want 1", serviceAccount, len(spec.Containers))
	}
	if spec.ServiceAccountName != serviceAccount {
		return nil, fmt.Errorf("%s: the pod template runs as ServiceAccount %q", serviceAccount, spec.ServiceAccountName)
	}
	b := &Binary{}
	var err error
	if b.ProbePort, err = FreePort(); err != nil {
		return nil, err
	}
	if b.MetricsPort, err = FreePort(); err != nil {
		return nil, err
	}
	if b.Kubeconfig, err = c.ServiceAccount(ctx, SystemNamespace, serviceAccount); err != nil {
		return nil, err
	}
	kcPath := filepath.Join(c.Dir, serviceAccount+".kubeconfig")
	if err := b.Kubeconfig.Write(kcPath); err != nil {
		return nil, err
	}
	b.Args = DeployedArgs(spec.Containers[0], b.ProbePort, b.MetricsPort, extra...)
	b.Process, err = c.StartProcess(ProcessOptions{
		Name: name, Path: path, Args: b.Args, Env: append([]string{"KUBECONFIG=" + kcPath}, env...),
	})
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
