package controllers

import (
	"fmt"
	"slices"

	ctrl "sigs.k8s.io/controller-runtime"
)

// Reconcilers are the reconcilers a manager runs; a nil field is a controller not enabled.
type Reconcilers struct {
	Endpoints *EndpointsReconciler
	Slices    *EndpointSliceReconciler
	Mirroring *EndpointSliceMirroringReconciler
}

// SetupReconcilers creates the enabled controllers (names from AllControllers) on mgr.
// The indexes (SetupIndexes) must be registered first.
func SetupReconcilers(mgr ctrl.Manager, opts Options, enabled []string) (Reconcilers, error) {
	var rs Reconcilers
	if err := opts.Validate(); err != nil {
		return rs, err
	}
	for _, name := range enabled {
		if !slices.Contains(AllControllers, name) {
			return rs, fmt.Errorf("unknown controller %q (known: %v)", name, AllControllers)
		}
	}
	if slices.Contains(enabled, EndpointsControllerName) {
		rs.Endpoints = NewEndpointsReconciler(mgr, opts)
		if err := rs.Endpoints.SetupWithManager(mgr); err != nil {
			return rs, fmt.Errorf("setting up %s controller: %w", EndpointsControllerName, err)
		}
	}
	if slices.Contains(enabled, EndpointSliceControllerName) {
		rs.Slices = NewEndpointSliceReconciler(mgr, opts)
		if err := rs.Slices.SetupWithManager(mgr); err != nil {
			return rs, fmt.Errorf("setting up %s controller: %w", EndpointSliceControllerName, err)
		}
	}
	if slices.Contains(enabled, EndpointSliceMirroringControllerName) {
		rs.Mirroring = NewEndpointSliceMirroringReconciler(mgr, opts)
		if err := rs.Mirroring.SetupWithManager(mgr); err != nil {
			return rs, fmt.Errorf("setting up %s controller: %w", EndpointSliceMirroringControllerName, err)
		}
	}
	return rs, nil
}
