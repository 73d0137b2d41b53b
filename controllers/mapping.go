package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
)

// serviceMapper finds the in-scope Services an object event concerns, through the cache's
// indexes only.
type serviceMapper struct {
	reader client.Reader
	scope  labels.Selector
}

func (m serviceMapper) inScope(svc *corev1.Service) bool {
	return m.scope == nil || m.scope.Matches(labels.Set(svc.Labels))
}

// servicesForPod returns the in-scope Services whose selector matches the pod (a Pod or a
// cached view; only its namespace and labels are read): the candidates come from the
// selector-term index (one lookup per pod label), then each candidate's full selector is
// checked.
func (m serviceMapper) servicesForPod(ctx context.Context, pod client.Object) []types.NamespacedName {
	if pod == nil {
		return nil
	}
	podLabels := pod.GetLabels()
	seen := map[types.NamespacedName]bool{}
	var out []types.NamespacedName
	for k, v := range podLabels {
		var svcs corev1.ServiceList
		if err := m.reader.List(ctx, &svcs, client.InNamespace(pod.GetNamespace()),
			client.MatchingFields{IndexServiceSelectorTerm: selectorTerm(k, v)}, client.UnsafeDisableDeepCopy); err != nil {
			log.FromContext(ctx).Error(err, "Failed to list Services by selector term", "pod", client.ObjectKeyFromObject(pod))
			continue
		}
		for i := range svcs.Items {
			svc := &svcs.Items[i]
			key := client.ObjectKeyFromObject(svc)
			if seen[key] || !m.inScope(svc) || !labels.SelectorFromValidatedSet(svc.Spec.Selector).Matches(labels.Set(podLabels)) {
				continue
			}
			seen[key] = true
			out = append(out, key)
		}
	}
	return out
}

// servicesForNode returns the Services with pods on the node (pod → node index).
func (m serviceMapper) servicesForNode(ctx context.Context, node string) []types.NamespacedName {
	var pods corev1.PodList
	if err := m.reader.List(ctx, &pods, client.MatchingFields{IndexPodNode: node}, client.UnsafeDisableDeepCopy); err != nil {
		log.FromContext(ctx).Error(err, "Failed to list Pods by node", "node", node)
		return nil
	}
	seen := map[types.NamespacedName]bool{}
	var out []types.NamespacedName
	for i := range pods.Items {
		for _, key := range m.servicesForPod(ctx, &pods.Items[i]) {
			if !seen[key] {
				seen[key] = true
				out = append(out, key)
			}
		}
	}
	return out
}

// sliceService maps an EndpointSlice carrying the given managed-by value to its Service.
func sliceService(managedBy string) func(context.Context, client.Object) []ctrl.Request {
	return func(_ context.Context, obj client.Object) []ctrl.Request {
		name := obj.GetLabels()[discoveryv1.LabelServiceName]
		if name == "" || obj.GetLabels()[discoveryv1.LabelManagedBy] != managedBy {
			return nil
		}
		return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}}}
	}
}

// sameName maps an Endpoints object to the Service of the same name (and back).
func sameName(_ context.Context, obj client.Object) []ctrl.Request {
	return []ctrl.Request{{NamespacedName: client.ObjectKeyFromObject(obj)}}
}
