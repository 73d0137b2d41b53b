package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/slicelb/slicelb/test/vm/harness"
)

// nodeBinaryPath is where the guest finds the real slicelb-node binary: the suite runs
// `slicelb-node status` and `slicelb-node --cleanup` as the program a node runs, not only the
// agent package they call.
const nodeBinaryPath = "bin/slicelb-node"

// nodeBinary builds ./cmd/node statically (stripped: less for the emulated CPU to unpack) and
// returns it as an initramfs file.
func nodeBinary(t *testing.T, tmp string) harness.File {
	t.Helper()
	out := filepath.Join(tmp, "slicelb-node")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "../../cmd/node")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building slicelb-node: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return harness.File{Path: nodeBinaryPath, Mode: 0o755, Data: data}
}
