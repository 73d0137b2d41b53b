package cluster

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// errAttached is returned by the API server controls of a cluster this program did not start.
var errAttached = errors.New("the API server of an attached cluster is not controlled by this program")

// apiserverStopGrace is how long StopAPIServer waits after SIGTERM before SIGKILL. kube-apiserver
// stops listening at once on SIGTERM but its process can linger for a long time on open watches;
// what clients see (refused connections) is the same either way.
const apiserverStopGrace = 5 * time.Second

// StopAPIServer stops kube-apiserver (SIGTERM, SIGKILL after a few seconds) and leaves etcd
// running. Clients see refused connections until StartAPIServer.
func (c *Cluster) StopAPIServer() error {
	if c.plane == nil {
		return errAttached
	}
	api := c.plane.APIServer
	saved := api.StopTimeout
	api.StopTimeout = apiserverStopGrace
	defer func() { api.StopTimeout = saved }()
	err := api.Stop()
	if err != nil && strings.Contains(err.Error(), "timeout waiting for process") {
		// envtest has sent SIGKILL: the process is gone (or going) and no longer listens.
		time.Sleep(500 * time.Millisecond)
		return nil
	}
	return err
}

// StartAPIServer starts kube-apiserver again on the same port, with the same etcd, serving
// certificate, client CA and ServiceAccount signing key (all kept in Dir/apiserver), so every
// client — admin certificates and ServiceAccount tokens issued before — keeps working. It returns
// once /healthz answers.
func (c *Cluster) StartAPIServer() error {
	if c.plane == nil {
		return errAttached
	}
	if err := c.plane.APIServer.Start(); err != nil {
		return fmt.Errorf("restarting kube-apiserver (log %s): %w", c.LogPath("kube-apiserver"), err)
	}
	return nil
}

// RestartAPIServer stops kube-apiserver, keeps it down for the given time and starts it again.
func (c *Cluster) RestartAPIServer(down time.Duration) error {
	if err := c.StopAPIServer(); err != nil {
		return err
	}
	time.Sleep(down)
	return c.StartAPIServer()
}
