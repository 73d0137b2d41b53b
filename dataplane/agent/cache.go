package agent

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/slicelb/slicelb/dataplane/proxier"
)

// labelHeadless is corev1.IsHeadlessService: the EndpointSlice controller labels the slices of
// headless Services with it, and those never get a virtual server.
const labelHeadless = corev1.IsHeadlessService

// ServiceSelector is the label selector the agent's Service and EndpointSlice informers use, as
// kube-proxy's do: objects handed to another proxy (service.kubernetes.io/service-proxy-name set
// to another value) and headless Services' slices are never even cached. With proxyName set, only
// Services labelled with it are served (kube-proxy's behaviour for a named proxy).
func ServiceSelector(proxyName string) labels.Selector {
	proxyReq, _ := labels.NewRequirement(proxier.LabelServiceProxyName, selection.DoesNotExist, nil)
	if proxyName != "" {
		proxyReq, _ = labels.NewRequirement(proxier.LabelServiceProxyName, selection.Equals, []string{proxyName})
	}
	noHeadless, _ := labels.NewRequirement(labelHeadless, selection.DoesNotExist, nil)
	return labels.NewSelector().Add(*proxyReq, *noHeadless)
}

// CacheOptions is the node agent's cache: Services and EndpointSlices filtered by ServiceSelector,
// only its own Node (field selector metadata.name=<node>, so a 5,000-node cluster does not send
// every Node to every agent), each slimmed by its transform.
func CacheOptions(nodeName, proxyName string) cache.Options {
	sel := ServiceSelector(proxyName)
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Service{}:            {Label: sel, Transform: TransformService},
			&discoveryv1.EndpointSlice{}: {Label: sel, Transform: TransformEndpointSlice},
			&corev1.Node{}: {
				Field:     fields.OneTermEqualSelector("metadata.name", nodeName),
				Transform: TransformNode,
			},
		},
	}
}
