package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// crdResource is where the API server serves CustomResourceDefinitions.
var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// KustomizeBuild runs `kustomize build dir` and decodes the objects, in the order kustomize emits
// them (Namespaces and CRDs first).
func KustomizeBuild(ctx context.Context, kustomize, dir string) ([]*unstructured.Unstructured, error) {
	cmd := exec.CommandContext(ctx, kustomize, "build", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w: %s", dir, err, stderr.String())
	}
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, err
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// ServerSideApply applies the objects in order with server-side apply as fieldManager (forcing
// conflicts, as `kubectl apply --server-side --force-conflicts` does), and waits for every CRD it
// applies to be established before the next object, which may be a custom resource. It returns
// a kubectl-like line per object.
func ServerSideApply(ctx context.Context, cfg *rest.Config, fieldManager string, objs []*unstructured.Unstructured) (string, error) {
	var log bytes.Buffer
	// API server warnings (e.g. PodSecurity's "would violate" for the node DaemonSet) go into the
	// returned log, as kubectl prints them, instead of client-go's stderr.
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = warningLog{&log}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return "", err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			mapper.Reset() // the kind may come from a CRD applied earlier in the list
			if m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
				return log.String(), err
			}
		}
		if m.Scope.Name() == meta.RESTScopeNameRoot {
			// As kubectl does: a cluster-scoped object has no namespace, whatever the manifest
			// says (kustomize's namespace transformer sets one on kinds its schema does not
			// know, such as flowcontrol.apiserver.k8s.io/v1 FlowSchema).
			u.SetNamespace("")
		}
		_, err = dyn.Resource(m.Resource).Namespace(u.GetNamespace()).Apply(ctx, u.GetName(), u,
			metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
		if err != nil {
			return log.String(), fmt.Errorf("server-side apply of %s %s: %w", gvk.Kind, u.GetName(), err)
		}
		fmt.Fprintf(&log, "%s/%s serverside-applied\n", gvk.Kind, u.GetName())
		if m.Resource == crdResource {
			if err := waitEstablished(ctx, dyn, u.GetName()); err != nil {
				return log.String(), err
			}
		}
	}
	return log.String(), nil
}

// waitEstablished waits until the API server serves a CRD (condition Established=True).
func waitEstablished(ctx context.Context, dyn dynamic.Interface, name string) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		crd, err := dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil //nolint:nilerr // not visible yet: poll again
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
}

// warningLog writes API server warnings as "Warning: ..." lines.
type warningLog struct{ w io.Writer }

func (l warningLog) HandleWarningHeader(_ int, _ string, text string) {
	_, _ = fmt.Fprintf(l.w, "Warning: %s\n", text)
}
