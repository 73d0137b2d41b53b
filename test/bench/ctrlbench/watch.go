package ctrlbench

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Watch feeds t from watches on the workload namespace's EndpointSlices and Endpoints until ctx
// ends. It returns once the initial lists are in.
func Watch(ctx context.Context, cs *kubernetes.Clientset, t *Tracker) error {
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(Namespace))
	slices := f.Discovery().V1().EndpointSlices().Informer()
	eps := f.Core().V1().Endpoints().Informer()
	onSlice := func(obj any, deleted bool) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		s, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			return
		}
		if deleted {
			t.OnSlice(s.Name, s.Labels[discoveryv1.LabelServiceName], nil)
			return
		}
		t.OnSlice(s.Name, s.Labels[discoveryv1.LabelServiceName], s)
	}
	onEndpoints := func(obj any, deleted bool) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		e, ok := obj.(*corev1.Endpoints)
		if !ok {
			return
		}
		if deleted {
			t.OnEndpoints(e.Name, nil)
			return
		}
		t.OnEndpoints(e.Name, e)
	}
	if _, err := slices.AddEventHandler(handler(onSlice)); err != nil {
		return err
	}
	if _, err := eps.AddEventHandler(handler(onEndpoints)); err != nil {
		return err
	}
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return errors.New("watch cache did not sync: " + typ.String())
		}
	}
	return nil
}

func handler(fn func(obj any, deleted bool)) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { fn(obj, false) },
		UpdateFunc: func(_, obj any) { fn(obj, false) },
		DeleteFunc: func(obj any) { fn(obj, true) },
	}
}

// WaitConverged waits until every target has matched for settle without interruption (or
// timeout passes) and returns when that stretch began; sample is called every 100 ms.
func WaitConverged(ctx context.Context, t *Tracker, settle, timeout time.Duration, sample func(ok, targets int)) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, targets, at := t.Progress()
		if sample != nil {
			sample(ok, targets)
		}
		if !at.IsZero() && time.Since(at) >= settle {
			return at, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("did not converge: %d of %d objects match", ok, targets)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-tick.C:
		}
	}
}
