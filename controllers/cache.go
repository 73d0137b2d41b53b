package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/podview"
)

// CacheOptions returns the manager cache options the reconcilers are written for:
// managedFields are stripped from every cached object (never read, often the largest
// part of an object), and Pods, by far the most numerous objects this controller caches,
// are kept as compact podview.Views (about a third of a trimmed Pod) that podReader
// (NewCacheReader) turns back into Pods per read. Nodes are only ever read, so reads of
// them return the cached objects without a deep copy.
func CacheOptions() cache.Options {
	readOnly := true
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}:  {Transform: podView},
			&corev1.Node{}: {UnsafeDisableDeepCopy: &readOnly},
		},
	}
}

// podView is the pod informer's transform: the cache keeps podview.Views, not Pods.
func podView(obj any) (any, error) {
	if pod, ok := obj.(*corev1.Pod); ok {
		return podview.Of(pod), nil
	}
	return obj, nil
}
