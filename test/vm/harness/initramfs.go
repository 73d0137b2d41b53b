package harness

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ModuleOrderFile is where the initramfs lists the modules to load, one name a line, in order;
// each module is at /modules/NAME.ko.
const ModuleOrderFile = "/modules/order"

// Initramfs describes the guest's initial root file system.
type Initramfs struct {
	// Init is the program the kernel runs as PID 1 (/init): the guest's static test binary.
	Init string
	// ModulesDir is lib/modules/VERSION of the guest kernel (with modules.dep).
	ModulesDir string
	// Modules are the modules to load, by name; dependencies are added from modules.dep.
	Modules []string
	// Files are extra files (programs, configuration) baked into the archive; their parent
	// directories are created.
	Files []File
}

// File is one extra file of the initramfs.
type File struct {
	// Path is relative to the archive's root, e.g. "bin/slicelb-node".
	Path string
	Mode uint32
	Data []byte
	// Symlink, when set, makes the entry a symbolic link to it (Mode and Data are ignored): a
	// Debian userland keeps its library and loader links, e.g. /lib64/ld-linux-x86-64.so.2.
	Symlink string
}

// Write writes the gzip-compressed cpio archive to w and returns the module load order it baked in.
func (s Initramfs) Write(w io.Writer) ([]string, error) {
	md, builtin, err := ReadModules(s.ModulesDir)
	if err != nil {
		return nil, err
	}
	order, err := md.LoadOrder(s.Modules, builtin)
	if err != nil {
		return nil, err
	}
	initBin, err := os.ReadFile(s.Init)
	if err != nil {
		return nil, fmt.Errorf("reading the guest binary: %w", err)
	}
	// Speed beats size: the archive is written once per run and unpacked by a TCG-emulated CPU.
	gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	c := newCPIOWriter(gz)
	for _, d := range []string{"dev", "proc", "sys", "run", "tmp", "var", "var/run", "modules"} {
		c.Dir(d)
	}
	c.CharDev("dev/console", 5, 1)
	c.CharDev("dev/null", 1, 3)
	c.File("init", 0o755, initBin)
	for _, name := range order {
		file := md.File[name]
		if !strings.HasSuffix(file, ".ko") {
			return nil, fmt.Errorf("module %s is compressed (%s); only plain .ko files are supported", name, file)
		}
		data, err := os.ReadFile(filepath.Join(s.ModulesDir, file))
		if err != nil {
			return nil, fmt.Errorf("reading module %s: %w", name, err)
		}
		c.File("modules/"+name+".ko", 0o644, data)
	}
	c.File(strings.TrimPrefix(ModuleOrderFile, "/"), 0o644, []byte(strings.Join(order, "\n")+"\n"))
	dirs := map[string]bool{"dev": true, "proc": true, "sys": true, "run": true, "tmp": true, "var": true, "var/run": true, "modules": true}
	for _, f := range s.Files {
		// The kernel's unpacker does not create missing parents: every directory needs its entry.
		var parents []string
		for d := path.Dir(f.Path); d != "." && d != "/" && !dirs[d]; d = path.Dir(d) {
			parents = append(parents, d)
		}
		for i := len(parents) - 1; i >= 0; i-- {
			dirs[parents[i]] = true
			c.Dir(parents[i])
		}
		if f.Symlink != "" {
			c.Symlink(f.Path, f.Symlink)
			continue
		}
		c.File(f.Path, f.Mode, f.Data)
	}
	if err := c.Close(); err != nil {
		return nil, err
	}
	return order, gz.Close()
}
