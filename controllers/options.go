package controllers

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/slicelb/slicelb/internal/endpoints"
)

// Names of the controllers, as accepted by the --controllers flag and used as the
// controller-runtime controller names (metrics, logs).
const (
	EndpointsControllerName              = controllerEndpoint
	EndpointSliceControllerName          = controllerSlice
	EndpointSliceMirroringControllerName = controllerMirror
)

// AllControllers lists every controller slicelb-controller can run.
var AllControllers = []string{EndpointsControllerName, EndpointSliceControllerName, EndpointSliceMirroringControllerName}

// Options are the settings shared by the reconcilers.
type Options struct {
	// MaxEndpointsPerSlice caps the endpoints of one EndpointSlice (1..1000, default 100).
	MaxEndpointsPerSlice int
	// BatchPeriod delays the sync a pod event triggers so that the events of that period
	// share one sync (upstream --endpoint-updates-batch-period); 0 syncs at once.
	BatchPeriod time.Duration
	// ServiceSelector scopes the Services this controller manages; nil or empty = all.
	ServiceSelector labels.Selector
	// Workers is the number of concurrent reconciles of each controller (default 5).
	Workers int
}

// Validate checks the option ranges.
func (o Options) Validate() error {
	if o.MaxEndpointsPerSlice < 1 || o.MaxEndpointsPerSlice > endpoints.MaxMaxEndpointsPerSlice {
		return fmt.Errorf("max endpoints per slice must be within 1..%d, got %d",
			endpoints.MaxMaxEndpointsPerSlice, o.MaxEndpointsPerSlice)
	}
	if o.BatchPeriod < 0 {
		return fmt.Errorf("endpoint updates batch period must not be negative, got %s", o.BatchPeriod)
	}
	if o.Workers < 0 {
		return fmt.Errorf("workers must not be negative, got %d", o.Workers)
	}
	return nil
}

func (o Options) workers() int {
	if o.Workers == 0 {
		return 5
	}
	return o.Workers
}

// inScope reports whether the Service is one this controller manages (--service-selector).
func (o Options) inScope(svc *corev1.Service) bool {
	return o.ServiceSelector == nil || o.ServiceSelector.Matches(labels.Set(svc.Labels))
}

// scopePredicate filters Service events to the Services in scope.
func (o Options) scopePredicate() builder.ForOption {
	return builder.WithPredicates(predicate.NewPredicateFuncs(func(obj client.Object) bool {
		svc, ok := obj.(*corev1.Service)
		return ok && o.inScope(svc)
	}))
}
