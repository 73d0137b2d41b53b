package controllers

import (
	"context"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/podview"
)

// Field indexes the reconcilers list through, `List(InNamespace(ns), MatchingFields{index: v})`:
// a map lookup. Those of Services and EndpointSlices are field indexes of the manager's cache
// (scoped by namespace); those of Pods are the pod informer's own (podReader serves them).
const (
	// IndexSliceService indexes EndpointSlices by their kubernetes.io/service-name label.
	IndexSliceService = "slicelb.io/slice-service"
	// IndexPodNode indexes Pods by spec.nodeName, to find the pods a Node's zone affects.
	IndexPodNode = "slicelb.io/pod-node"
	// IndexServiceSelectorTerm indexes Services by ONE term of their selector, "key=value"
	// with the smallest key. A pod can only match a Service if it carries that exact
	// label, so the candidates for a pod are the union of the lookups of its own labels:
	// one index lookup per pod label instead of a scan of every Service of the namespace
	// per pod event (the fan-out cost discussed in kubernetes#134739).
	IndexServiceSelectorTerm = "slicelb.io/service-selector-term"
	// IndexPodLabel indexes Pods by each of their labels, "key=value". A Service's pods are
	// then one lookup of a selector term followed by the full selector check, instead of
	// a filter over every pod of the namespace (what a label-selector List of the cache
	// does: O(pods in the namespace) per sync, plus a deep copy of each match).
	IndexPodLabel = "slicelb.io/pod-label"
)

// SetupIndexes registers the indexes the reconcilers rely on in the manager's cache c
// (built with CacheOptions), before it starts.
func SetupIndexes(ctx context.Context, c cache.Cache) error {
	if err := c.IndexField(ctx, &discoveryv1.EndpointSlice{}, IndexSliceService, sliceServiceKey); err != nil {
		return err
	}
	if err := setupPodIndexes(ctx, c); err != nil {
		return err
	}
	return c.IndexField(ctx, &corev1.Service{}, IndexServiceSelectorTerm, serviceSelectorTermKey)
}

func podLabelKeys(obj client.Object) []string {
	podLabels := obj.GetLabels()
	if len(podLabels) == 0 {
		return nil
	}
	keys := make([]string, 0, len(podLabels))
	for k, v := range podLabels {
		keys = append(keys, selectorTerm(k, v))
	}
	return keys
}

func sliceServiceKey(obj client.Object) []string {
	if name := obj.GetLabels()[discoveryv1.LabelServiceName]; name != "" {
		return []string{name}
	}
	return nil
}

// podNodeKey indexes a pod (a cached view, or a Pod in tests' fake readers) by its node.
func podNodeKey(obj client.Object) []string {
	var node string
	switch pod := obj.(type) {
	case *podview.View:
		node = pod.NodeName
	case *corev1.Pod:
		node = pod.Spec.NodeName
	}
	if node == "" {
		return nil
	}
	return []string{node}
}

func serviceSelectorTermKey(obj client.Object) []string {
	svc, ok := obj.(*corev1.Service)
	if !ok || len(svc.Spec.Selector) == 0 {
		return nil
	}
	return []string{firstSelectorTerm(svc.Spec.Selector)}
}

// firstSelectorTerm is the selector's term with the smallest key, "key=value": any pod the
// selector matches carries it. The choice is deterministic so that both directions (pod to
// Services, Service to pods) look up the same term.
func firstSelectorTerm(selector map[string]string) string {
	keys := make([]string, 0, len(selector))
	for k := range selector {
		keys = append(keys, k)
	}
	first := slices.Min(keys)
	return selectorTerm(first, selector[first])
}

func selectorTerm(key, value string) string { return key + "=" + value }
