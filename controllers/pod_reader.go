package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/internal/podview"
)

// The pod informer keeps podview.Views (see CacheOptions), which controller-runtime's typed
// cache reader cannot return as Pods. Pod reads therefore go through podReader, which looks the
// views up in the informer's own indexes and rebuilds the Pods the planners take.

// Index names on the pod informer. Keys are "namespace/key=value" for labels (a Service only
// selects pods of its namespace) and the node name for nodes.
const (
	podLabelIndex = "slicelb.io/pod-label"
	podNodeIndex  = "slicelb.io/pod-node"
)

// podInformerIndexers index pod views by each label and by node. A new map each time: client-go
// keeps the map it is given and adds later indexers to it.
func podInformerIndexers() toolscache.Indexers {
	return toolscache.Indexers{
		podLabelIndex: func(obj any) ([]string, error) {
			v, ok := obj.(client.Object)
			if !ok {
				return nil, nil
			}
			keys := podLabelKeys(v)
			for i, k := range keys {
				keys[i] = v.GetNamespace() + "/" + k
			}
			return keys, nil
		},
		podNodeIndex: func(obj any) ([]string, error) {
			if v, ok := obj.(client.Object); ok {
				return podNodeKey(v), nil
			}
			return nil, nil
		},
	}
}

// setupPodIndexes adds the pod indexes to the pod informer; it must run before the cache starts.
func setupPodIndexes(ctx context.Context, c cache.Cache) error {
	inf, err := c.GetInformer(ctx, &corev1.Pod{}, cache.BlockUntilSynced(false))
	if err != nil {
		return err
	}
	return inf.AddIndexers(podInformerIndexers())
}

// podReader serves Pod reads from the pod informer's views; every other read goes to Reader.
type podReader struct {
	client.Reader
	cache cache.Cache
}

// NewCacheReader returns the reconcilers' reader over the manager's cache c.
func NewCacheReader(c cache.Cache) client.Reader { return podReader{Reader: c, cache: c} }

func (r podReader) indexer(ctx context.Context) (toolscache.Indexer, error) {
	inf, err := r.cache.GetInformer(ctx, &corev1.Pod{}, cache.BlockUntilSynced(false))
	if err != nil {
		return nil, err
	}
	shared, ok := inf.(toolscache.SharedIndexInformer)
	if !ok {
		return nil, fmt.Errorf("the pod informer is a %T, not a shared index informer", inf)
	}
	return shared.GetIndexer(), nil
}

func (r podReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	out, ok := obj.(*corev1.Pod)
	if !ok {
		return r.Reader.Get(ctx, key, obj, opts...)
	}
	idx, err := r.indexer(ctx)
	if err != nil {
		return err
	}
	item, exists, err := idx.GetByKey(key.String())
	if err != nil {
		return err
	}
	if !exists {
		return apierrors.NewNotFound(corev1.Resource("pods"), key.Name)
	}
	view, ok := item.(*podview.View)
	if !ok {
		return fmt.Errorf("the pod cache holds a %T", item)
	}
	view.Fill(out)
	return nil
}

// List serves the pod lists the controllers make: the pods of a namespace carrying one label
// (MatchingFields{IndexPodLabel: "key=value"}) or on one node (MatchingFields{IndexPodNode:
// name}), optionally filtered by a label selector; without a field the pods of the namespace (or
// all pods).
func (r podReader) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	out, ok := list.(*corev1.PodList)
	if !ok {
		return r.Reader.List(ctx, list, opts...)
	}
	o := (&client.ListOptions{}).ApplyOptions(opts)
	idx, err := r.indexer(ctx)
	if err != nil {
		return err
	}
	items, err := podCandidates(idx, o)
	if err != nil {
		return err
	}
	// Filter on the views, then rebuild only the pods returned, in place in Items.
	views := make([]*podview.View, 0, len(items))
	for _, item := range items {
		view, ok := item.(*podview.View)
		if !ok {
			return fmt.Errorf("the pod cache holds a %T", item)
		}
		if o.Namespace != "" && view.Namespace != o.Namespace {
			continue
		}
		if o.LabelSelector != nil && !o.LabelSelector.Matches(labels.Set(view.Labels)) {
			continue
		}
		views = append(views, view)
	}
	out.Items = make([]corev1.Pod, len(views))
	for i, view := range views {
		view.Fill(&out.Items[i])
	}
	return nil
}

// podCandidates looks up the index the field selector names (exact match only, as the
// controller-runtime cache allows), else the namespace.
func podCandidates(idx toolscache.Indexer, o *client.ListOptions) ([]any, error) {
	if o.FieldSelector != nil && !o.FieldSelector.Empty() {
		if v, ok := o.FieldSelector.RequiresExactMatch(IndexPodLabel); ok {
			if o.Namespace == "" {
				return nil, fmt.Errorf("pods are indexed by label per namespace: %s needs a namespace", IndexPodLabel)
			}
			return idx.ByIndex(podLabelIndex, o.Namespace+"/"+v)
		}
		if v, ok := o.FieldSelector.RequiresExactMatch(IndexPodNode); ok {
			return idx.ByIndex(podNodeIndex, v)
		}
		return nil, fmt.Errorf("pods can only be listed by the fields %s and %s, not %q", IndexPodLabel, IndexPodNode, o.FieldSelector)
	}
	if o.Namespace != "" {
		return idx.ByIndex(toolscache.NamespaceIndex, o.Namespace)
	}
	return idx.List(), nil
}
