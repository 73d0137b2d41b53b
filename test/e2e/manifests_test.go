package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/slicelb/slicelb/test/cluster"
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
	return cluster.KustomizeBuild(ctx, kustomizePath(), filepath.Join(suite.Root, "config", "default"))
}

// goApply is `make deploy` without kubectl: `make manifests` (the RBAC and CRDs the objects are
// generated from), kustomize build, then a server-side apply of each object.
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
	return cluster.ServerSideApply(ctx, suite.Cluster.Config, goApplyManager, objs)
}
