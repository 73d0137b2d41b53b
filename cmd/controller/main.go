// Command slicelb-controller runs the Endpoints, EndpointSlice and EndpointSlice
// mirroring controllers in one controller-runtime manager.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/slicelb/slicelb/api/v1alpha1"
	"github.com/slicelb/slicelb/controllers"
	"github.com/slicelb/slicelb/internal/metricsauth"
)

// leaderElectionID names the Lease the replicas compete for.
const leaderElectionID = "slicelb-controller.slicelb.io"

var errCacheNotSynced = errors.New("informer caches have not synced")

func main() {
	opts, err := parseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts.zap)))
	mem := tuneMemory()
	ctrl.Log.Info("Garbage collector settings (0: left to GOGC/GOMEMLIMIT or Go's default)",
		"gcPercent", mem.gcPercent, "memoryLimitBytes", mem.limitBytes)
	if err := run(ctrl.SetupSignalHandler(), opts); err != nil {
		ctrl.Log.Error(err, "Manager exited with an error")
		os.Exit(1)
	}
}

// run builds the manager, wires it and blocks until ctx is done.
func run(ctx context.Context, opts options) error {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = opts.qps, opts.burst
	// The API server answers every v1 Endpoints write with the warning "v1 Endpoints is
	// deprecated"; this controller writes Endpoints on purpose (as kube-controller-manager
	// does), so each distinct warning is logged once, not once per write.
	cfg.WarningHandlerWithContext = log.NewKubeAPIWarningLogger(log.KubeAPIWarningLoggerOptions{Deduplicate: true})
	mgr, err := ctrl.NewManager(cfg, managerOptions(opts))
	if err != nil {
		return err
	}
	if err := setupIndexes(ctx, mgr); err != nil {
		return err
	}
	if err := setupReconcilers(mgr, opts); err != nil {
		return err
	}
	if err := setupChecks(mgr); err != nil {
		return err
	}
	ctrl.Log.Info("Starting manager", "controllers", opts.controllers, "leaderElection", opts.leaderElect)
	return mgr.Start(ctx)
}

// managerOptions: leader election, probes, the metrics endpoint (HTTPS with
// authentication and authorization through TokenReview/SubjectAccessReview when
// --metrics-secure) and the trimmed cache.
func managerOptions(opts options) ctrl.Options {
	metrics := metricsserver.Options{BindAddress: opts.metricsAddr, SecureServing: opts.metricsSecure}
	if opts.metricsSecure {
		metrics.FilterProvider = metricsauth.FilterProvider
	}
	return ctrl.Options{
		Scheme:                        newScheme(),
		Metrics:                       metrics,
		HealthProbeBindAddress:        opts.probeAddr,
		PprofBindAddress:              opts.pprofAddr,
		LeaderElection:                opts.leaderElect,
		LeaderElectionID:              leaderElectionID,
		LeaderElectionNamespace:       opts.leaderElectionNS,
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &opts.leaseDuration,
		RenewDeadline:                 &opts.renewDeadline,
		RetryPeriod:                   &opts.retryPeriod,
		Cache:                         controllers.CacheOptions(),
	}
}

func setupIndexes(ctx context.Context, mgr ctrl.Manager) error {
	return controllers.SetupIndexes(ctx, mgr.GetCache())
}

// newScheme holds the built-in types and slicelb's own API (LoadBalancingPolicy).
func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}

func setupReconcilers(mgr ctrl.Manager, opts options) error {
	if _, err := controllers.SetupReconcilers(mgr, opts.reconcilers, opts.controllers); err != nil {
		return err
	}
	// The policy controller needs the LoadBalancingPolicy CRD (config/crd) installed.
	return controllers.NewLoadBalancingPolicyReconciler(mgr).SetupWithManager(mgr)
}

func setupChecks(mgr ctrl.Manager) error {
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	// Ready once the informer caches have synced: nothing is planned before that.
	return mgr.AddReadyzCheck("readyz", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errCacheNotSynced
		}
		return nil
	})
}
