package harness

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ModuleName is a module's canonical name: the file's base name without .ko and compression
// suffixes, with '-' spelled '_' (the kernel treats both alike).
func ModuleName(file string) string {
	base := path.Base(file)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		base = strings.TrimSuffix(base, ext)
	}
	return strings.ReplaceAll(strings.TrimSuffix(base, ".ko"), "-", "_")
}

// ModuleDeps is a parsed modules.dep: canonical name → file (relative to the modules directory) and
// that module's dependencies in modules.dep order.
type ModuleDeps struct {
	File map[string]string
	Deps map[string][]string
}

// ParseModulesDep parses the content of modules.dep ("file: dep dep ...").
func ParseModulesDep(content string) (ModuleDeps, error) {
	md := ModuleDeps{File: map[string]string{}, Deps: map[string][]string{}}
	sc := bufio.NewScanner(strings.NewReader(content))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		file, deps, ok := strings.Cut(line, ":")
		if !ok {
			return ModuleDeps{}, fmt.Errorf("modules.dep: malformed line %q", line)
		}
		name := ModuleName(file)
		md.File[name] = file
		for _, d := range strings.Fields(deps) {
			md.Deps[name] = append(md.Deps[name], ModuleName(d))
		}
	}
	return md, sc.Err()
}

// LoadOrder returns the modules to load for want, dependencies first, each once, in a stable order.
// Names in builtin are compiled into the kernel and are skipped. A name that is neither a module nor
// built in is an error: a missing module would otherwise surface as a puzzling failure in the guest.
func (md ModuleDeps) LoadOrder(want []string, builtin map[string]bool) ([]string, error) {
	var order []string
	seen := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		name = ModuleName(name)
		if seen[name] || builtin[name] {
			return nil
		}
		if _, ok := md.File[name]; !ok {
			return fmt.Errorf("module %s is neither in modules.dep nor built in", name)
		}
		seen[name] = true
		// modules.dep lists the transitive closure with the deepest dependency last, so visiting
		// it backwards loads e.g. libcrc32c before nf_conntrack before ip_vs, as modprobe does.
		deps := md.Deps[name]
		for i := len(deps) - 1; i >= 0; i-- {
			if err := visit(deps[i]); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		order = append(order, name)
		return nil
	}
	for _, w := range want {
		if err := visit(w); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// ReadModules reads modules.dep and modules.builtin of the kernel version under root
// (root/lib/modules/VERSION).
func ReadModules(modDir string) (ModuleDeps, map[string]bool, error) {
	dep, err := os.ReadFile(filepath.Join(modDir, "modules.dep"))
	if err != nil {
		return ModuleDeps{}, nil, fmt.Errorf("reading modules.dep (did hack/vm-assets.sh run depmod?): %w", err)
	}
	md, err := ParseModulesDep(string(dep))
	if err != nil {
		return ModuleDeps{}, nil, err
	}
	builtin := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(modDir, "modules.builtin")); err == nil {
		for _, l := range strings.Fields(string(b)) {
			builtin[ModuleName(l)] = true
		}
	}
	return md, builtin, nil
}
