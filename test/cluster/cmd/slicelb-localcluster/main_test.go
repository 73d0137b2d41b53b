package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slicelb/slicelb/test/cluster"
)

// TestUpStatusDown is `make demo`'s control-plane part and `make demo-down`: up with config/default
// deployed, a second up refused while it runs, status, down, and status failing afterwards.
func TestUpStatusDown(t *testing.T) {
	root, err := cluster.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o := upOptions{
		dir: t.TempDir(), assets: os.Getenv("KUBEBUILDER_ASSETS"), kubectl: "kubectl",
		deploy: filepath.Join(root, "config", "default"), kustomize: filepath.Join(root, "bin", "kustomize-v5.8.2"),
	}
	if k := os.Getenv("KUSTOMIZE"); k != "" {
		o.kustomize = k
	}
	t.Cleanup(func() { _ = cluster.StopDir(o.dir) })
	var out bytes.Buffer
	if err := up(ctx, o, &out); err != nil {
		t.Fatalf("up: %v\n%s", err, out.String())
	}
	for _, want := range []string{"control plane up at https://127.0.0.1:", "objects of " + o.deploy + " server-side", "--kubeconfig " + filepath.Join(o.dir, "kubeconfig")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("up output lacks %q:\n%s", want, out.String())
		}
	}
	if err := up(ctx, o, &out); err == nil || !strings.Contains(err.Error(), "already runs") {
		t.Errorf("second up: err = %v, want 'already runs'", err)
	}
	out.Reset()
	if err := status(o.dir, &out); err != nil || !strings.Contains(out.String(), "control plane running at") {
		t.Errorf("status while up: %v %q", err, out.String())
	}
	if err := down(o.dir, &out); err != nil {
		t.Fatalf("down: %v", err)
	}
	if err := status(o.dir, &out); err == nil {
		t.Error("status after down says a control plane runs")
	}
	if err := up(ctx, upOptions{dir: o.dir, controller: "x"}, &out); err == nil {
		t.Error("up -controller without -deploy was accepted")
	}
}
