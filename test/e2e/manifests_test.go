package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// goApplyManager is the field manager of the Go fallback of `make deploy`.
const goApplyManager = "slicelb-e2e"

// kustomizePath is $KUSTOMIZE, or the pinned kustomize the Makefile installs.
func kustomizePath() string {
	if p := os.Getenv("KUSTOMIZE"); p != "" {
		return p
	}
	return filepath.Join(suite.Root, "bin", "kustomize-v5.8.2")
}

// kustomizeBuild renders config/default, the objects `make deploy` applies.
func kustomizeBuild(ctx context.Context) ([]*unstructured.Unstructured, error) {
	cmd := exec.CommandContext(ctx, kustomizePath(), "build", filepath.Join(suite.Root, "config", "default"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("kustomize build config/default: %w: %s", err, stderr.String())
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

// goApply is `make deploy` without kubectl: `make manifests` (the RBAC and CRDs the objects are
// generated from), kustomize build, then a server-side apply of each object in the order
// kustomize emits them (Namespace and CRDs first), waiting for each CRD to be established.
func goApply(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "make", "manifests")
	cmd.Dir = suite.Root
	if out, err := cmd.CombinedOutput(); err != nil {
		return string(out), fmt.Errorf("make manifests: %w", err)
	}
	objs, err := kustomizeBuild(ctx)
	if err != nil {
		return "", err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(suite.Cluster.Config)
	if err != nil {
		return "", err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	dyn, err := dynamic.NewForConfig(suite.Cluster.Config)
	if err != nil {
		return "", err
	}
	var log bytes.Buffer
	for _, u := range objs {
		gvk := u.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			mapper.Reset() // a CRD applied earlier in the list
			if m, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
				return log.String(), err
			}
		}
		_, err = dyn.Resource(m.Resource).Namespace(u.GetNamespace()).Apply(ctx, u.GetName(), u,
			metav1.ApplyOptions{FieldManager: goApplyManager, Force: true})
		if err != nil {
			return log.String(), fmt.Errorf("server-side apply of %s %s: %w", gvk.Kind, u.GetName(), err)
		}
		fmt.Fprintf(&log, "%s/%s serverside-applied\n", gvk.Kind, u.GetName())
		if gvk.Kind == "CustomResourceDefinition" {
			if err := waitEstablished(ctx, u.GetName()); err != nil {
				return log.String(), err
			}
		}
	}
	return log.String(), nil
}

// waitEstablished waits until the API server serves a CRD (condition Established).
func waitEstablished(ctx context.Context, name string) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := suite.Client.Get(ctx, types.NamespacedName{Name: name}, crd); err != nil {
			return false, nil
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}
