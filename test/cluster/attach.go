package cluster

import (
	"fmt"
	"path/filepath"
)

// Attach returns the detached control plane still running from state directory dir (started by
// another program with Options.Detached): its admin kubeconfig and config. StartProcess on it
// records the new pids in the same file, and Stop (or StopDir) stops everything recorded.
func Attach(dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	running, err := readPids(abs)
	if err != nil {
		return nil, err
	}
	up := map[string]bool{}
	for _, e := range running {
		up[e.Name] = true
	}
	if !up["etcd"] || !up["kube-apiserver"] {
		return nil, fmt.Errorf("no control plane is running from %s (running: %v)", abs, running)
	}
	path := filepath.Join(abs, kubeconfigFile)
	admin, err := LoadKubeconfig(path)
	if err != nil {
		return nil, err
	}
	return &Cluster{Dir: abs, Config: admin.RESTConfig(), Kubeconfig: path, admin: admin, detached: true}, nil
}
