package main

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/slicelb/slicelb/controllers"
	"github.com/slicelb/slicelb/internal/endpoints"
)

// options are the command line settings of slicelb-controller.
type options struct {
	leaderElect bool
	// leaderElectionNS is where the Lease lives; empty means the Pod's own namespace
	// (only known in-cluster, so `make run` with --leader-elect must set it).
	leaderElectionNS string
	// leaseDuration, renewDeadline and retryPeriod tune the election (kube-controller-manager's
	// flag names and defaults: 15s, 10s, 2s); a follower takes over at most about
	// leaseDuration+retryPeriod after the leader's last renewal.
	leaseDuration, renewDeadline, retryPeriod time.Duration
	probeAddr                                 string
	metricsAddr                               string
	metricsSecure                             bool
	// pprofAddr serves net/http/pprof (heap and CPU profiles) when set; off by default
	// because profiles expose internals and the listener is unauthenticated.
	pprofAddr string
	// qps and burst limit the client, per resource type (controller-runtime builds one
	// REST client, with its own limiter, per resource: Endpoints and EndpointSlice writes
	// each get the budget, as kube-controller-manager gives each controller its own client).
	// The defaults let 1,000 Services converge in seconds instead of upstream's 20 QPS
	// minute, and stay polite to API Priority and Fairness: requests in flight are bounded
	// by --workers per controller (APF counts seats, not rates), config/apf classifies the
	// controller like kube-controller-manager's own controllers, and client-go backs off on
	// 429 with the server's Retry-After.
	qps         float32
	burst       int
	controllers []string
	reconcilers controllers.Options
	zap         zap.Options
}

// parseFlags parses args into options and validates them.
func parseFlags(fs *flag.FlagSet, args []string) (options, error) {
	var o options
	var selector, enabled string
	var qps float64
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Enable leader election (one active replica).")
	fs.StringVar(&o.leaderElectionNS, "leader-election-namespace", "",
		"Namespace of the leader election Lease (default: the namespace the controller runs in).")
	fs.DurationVar(&o.leaseDuration, "leader-elect-lease-duration", 15*time.Second,
		"How long a follower waits after the last observed renewal before it tries to take the lease.")
	fs.DurationVar(&o.renewDeadline, "leader-elect-renew-deadline", 10*time.Second,
		"How long the leader keeps retrying to renew before it gives up leadership (less than the lease duration).")
	fs.DurationVar(&o.retryPeriod, "leader-elect-retry-period", 2*time.Second,
		"How often candidates try to acquire or renew the lease.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address the health and readiness probes bind to.")
	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8443", "Address the metrics endpoint binds to; 0 disables it.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "", "Address net/http/pprof binds to (e.g. 127.0.0.1:6060); empty disables it.")
	fs.BoolVar(&o.metricsSecure, "metrics-secure", true, "Serve metrics over HTTPS with authentication and authorization.")
	fs.Float64Var(&qps, "kube-api-qps", 200, "Queries per second to the API server, per resource type.")
	fs.IntVar(&o.burst, "kube-api-burst", 500, "Burst of queries to the API server, per resource type.")
	fs.IntVar(&o.reconcilers.Workers, "workers", 5, "Concurrent syncs per controller.")
	fs.IntVar(&o.reconcilers.MaxEndpointsPerSlice, "max-endpoints-per-slice", endpoints.DefaultMaxEndpointsPerSlice,
		fmt.Sprintf("Maximum endpoints per EndpointSlice (1..%d).", endpoints.MaxMaxEndpointsPerSlice))
	fs.DurationVar(&o.reconcilers.BatchPeriod, "endpoint-updates-batch-period", 0,
		"Delay of the sync a pod change triggers, so that the changes of that period share one sync.")
	fs.StringVar(&selector, "service-selector", "", "Label selector of the Services this controller manages (empty: all).")
	fs.StringVar(&enabled, "controllers", strings.Join(controllers.AllControllers, ","),
		"Comma-separated controllers to run: "+strings.Join(controllers.AllControllers, ", ")+".")
	o.zap.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.qps = float32(qps)
	if qps <= 0 || o.burst <= 0 {
		return o, errors.New("--kube-api-qps and --kube-api-burst must be positive")
	}
	sel, err := labels.Parse(selector)
	if err != nil {
		return o, fmt.Errorf("--service-selector: %w", err)
	}
	if !sel.Empty() {
		o.reconcilers.ServiceSelector = sel
	}
	for _, name := range strings.Split(enabled, ",") {
		if name = strings.TrimSpace(name); name != "" {
			o.controllers = append(o.controllers, name)
		}
	}
	if len(o.controllers) == 0 {
		return o, errors.New("--controllers: at least one controller is needed")
	}
	return o, o.validate()
}

func (o options) validate() error {
	if err := o.reconcilers.Validate(); err != nil {
		return err
	}
	if o.leaseDuration <= o.renewDeadline || o.renewDeadline <= o.retryPeriod || o.retryPeriod <= 0 {
		// client-go's leader election refuses other orders at start; say it at parse time.
		return errors.New("want --leader-elect-lease-duration > --leader-elect-renew-deadline > --leader-elect-retry-period > 0")
	}
	if o.reconcilers.Workers < 1 {
		return errors.New("--workers must be at least 1")
	}
	for _, name := range o.controllers {
		if !slices.Contains(controllers.AllControllers, name) {
			return fmt.Errorf("--controllers: unknown controller %q", name)
		}
	}
	return nil
}
