package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are the paths of slicelb's two programs.
type Binaries struct {
	Controller string // slicelb-controller
	Node       string // slicelb-node
}

// BuildBinaries builds cmd/controller and cmd/node of the module at moduleRoot into outDir the way
// `make build` does (static, -trimpath). Go's build cache makes a rebuild of unchanged code cheap.
func BuildBinaries(ctx context.Context, moduleRoot, outDir string) (Binaries, error) {
	b := Binaries{Controller: filepath.Join(outDir, "slicelb-controller"), Node: filepath.Join(outDir, "slicelb-node")}
	for out, pkg := range map[string]string{b.Controller: "./cmd/controller", b.Node: "./cmd/node"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
		cmd.Dir = moduleRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	}
	return b, nil
}

// ModuleRoot finds the directory holding go.mod from the working directory upwards (tests run
// in their package's directory).
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago (for the binaries' metrics
// and probe addresses, so that several can run side by side).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}
