package main

import (
	"errors"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/dataplane/agent"
	"github.com/slicelb/slicelb/internal/metricsauth"
)

// eventSource names the agent in the events it records on its Node.
const eventSource = "slicelb-node"

var errNotSynced = errors.New("no successful sync yet")

// newScheme holds the built-in types and slicelb's LoadBalancingPolicy.
func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}

// restConfig loads --kubeconfig, or else $KUBECONFIG / the in-cluster configuration.
func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", kubeconfig)
	}
	return ctrl.GetConfig()
}

// managerOptions: the agent's slim cache (own Node only, filtered Services/slices), the metrics
// endpoint (HTTPS with TokenReview/SubjectAccessReview when --metrics-secure) and probes. No
// leader election: every node runs its own agent.
func managerOptions(opts options) ctrl.Options {
	m := metricsserver.Options{BindAddress: opts.metricsAddr, SecureServing: opts.metricsSecure}
	if opts.metricsSecure {
		m.FilterProvider = metricsauth.FilterProvider
	}
	return ctrl.Options{
		Scheme:                 newScheme(),
		Metrics:                m,
		HealthProbeBindAddress: opts.probeAddr,
		Cache:                  agent.CacheOptions(opts.nodeName, opts.serviceProxyName),
	}
}

// setupAgent builds the syncer over the kernel ports and adds the agent to the manager.
func setupAgent(mgr ctrl.Manager, k *kernel, opts options) (*agent.Health, error) {
	syncer, err := agent.NewSyncer(agent.SyncerOptions{
		IPVS:              k.ipvs,
		Netif:             k.netif,
		NAT:               k.nat,
		Conntrack:         k.conntrack,
		NodeName:          opts.nodeName,
		Scheduler:         opts.scheduler,
		NodePortAddresses: opts.nodePortAddresses,
		ServiceProxyName:  opts.serviceProxyName,
		StrictARP:         opts.strictARP,
		DrainTimeout:      opts.drainTimeout,
		// Event-driven syncs plan against the table as last read and programmed; the periodic
		// --sync-period resync re-reads the whole kernel and repairs drift.
		FullResyncPeriod: opts.syncPeriod,
		Metrics:          agent.NewMetrics(metrics.Registry),
	})
	if err != nil {
		return nil, err
	}
	health := agent.NewHealth(nil, opts.syncPeriod)
	a := agent.NewAgent(agent.AgentOptions{
		Cache:         mgr.GetCache(),
		Syncer:        syncer,
		NodeName:      opts.nodeName,
		MinSyncPeriod: opts.minSyncPeriod,
		SyncPeriod:    opts.syncPeriod,
		Health:        health,
		Recorder:      mgr.GetEventRecorder(eventSource),
		WatchPolicies: opts.policies,
	})
	return health, mgr.Add(a)
}

// setupChecks: /healthz fails when the last successful sync is older than 2 × --sync-period (a
// wedged agent gets restarted, which is safe: a restart adopts the kernel state); /readyz passes
// once the first sync programmed the node.
func setupChecks(mgr ctrl.Manager, health *agent.Health) error {
	if err := mgr.AddHealthzCheck("sync", health.Check); err != nil {
		return err
	}
	return mgr.AddReadyzCheck("synced", func(*http.Request) error {
		if health.LastSync().IsZero() {
			return errNotSynced
		}
		return nil
	})
}
