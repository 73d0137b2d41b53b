package vm

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slicelb/slicelb/test/vm/harness"
)

// guestModules are loaded in the guest, dependencies (from modules.dep) first. libcrc32c's soft
// dependency on a crc32c implementation is not in modules.dep, so crc32c_generic is named first.
var guestModules = []string{
	"crc32c_generic", "libcrc32c", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "nf_conntrack_netlink",
	"ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "ip_vs_lc", "ip_vs_wlc", "ip_vs_mh",
	"nf_tables", "nf_nat", "nft_ct", "nft_chain_nat", "nft_masq", "nft_nat",
	"veth", "dummy",
}

func TestVM(t *testing.T) {
	start := time.Now()
	assets := assetsDir(t)
	tmp := t.TempDir()

	guestBin := filepath.Join(tmp, "guest.test")
	// Stripped (-s -w): a smaller /init is less for the emulated CPU to unpack; panics still name
	// functions (they use the pclntab, not the symbol table).
	build := exec.Command("go", "test", "-c", "-trimpath", "-ldflags=-s -w", "-o", guestBin, "./guest")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the guest binary: %v\n%s", err, out)
	}
	built := time.Now()

	version := strings.TrimSpace(readFile(t, filepath.Join(assets, "kernel-version")))
	initrd := filepath.Join(tmp, "initrd.gz")
	f, err := os.Create(initrd)
	if err != nil {
		t.Fatal(err)
	}
	order, err := harness.Initramfs{Init: guestBin, ModulesDir: filepath.Join(assets, "lib", "modules", version),
		Modules: guestModules, Files: []harness.File{nodeBinary(t, tmp)}}.Write(f)
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatalf("writing the initramfs: %v", err)
	}
	t.Logf("kernel %s, %d modules, guest built in %s", version, len(order), built.Sub(start).Round(time.Millisecond))

	boot := harness.Boot{
		Kernel: kernelImage(assets), Initrd: initrd,
		Args:     append([]string{"-test.v", "-ginkgo.v", "-ginkgo.no-color"}, strings.Fields(os.Getenv("VM_GUEST_ARGS"))...),
		MemoryMB: 1024, CPUs: 1, Accel: harness.ChooseAccel(), Timeout: timeout(t),
	}
	t.Logf("booting %s with %s: %s", filepath.Base(boot.Kernel), boot.Accel, boot.CommandLine())
	bootStart := time.Now()
	log, runErr := boot.Run(context.Background(), prefixWriter{os.Stdout})
	if !strings.Contains(log, harness.GuestStarted) {
		// The kernel died before running the guest: some /dev/kvm implementations (nested,
		// software) hang or fail there, and an emulated CPU on a starved host can trip early boot
		// checks. Nothing of the suite ran yet, so one more boot, with TCG, is safe; it is logged,
		// and a second failure fails the test.
		t.Logf("the kernel never started the guest under %s (%v); booting once more with TCG", boot.Accel, runErr)
		boot.Accel = "tcg"
		bootStart = time.Now()
		log, runErr = boot.Run(context.Background(), prefixWriter{os.Stdout})
	}
	vmTime := time.Since(bootStart)
	// go test shows a passing test's output only with -v: keep the serial log (with the measured
	// numbers, "slicelb-vm-measure:" lines) beside the assets either way.
	logPath := filepath.Join(assets, "last-run.log")
	if err := os.WriteFile(logPath, []byte(log), 0o644); err != nil {
		t.Logf("could not save the serial log: %v", err)
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.HasPrefix(line, "slicelb-vm-measure: ") {
			t.Log(strings.TrimPrefix(line, "slicelb-vm-measure: "))
		}
	}
	res, err := harness.ParseResult(log)
	if runErr != nil {
		t.Fatalf("VM run: %v (result: %v)", runErr, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("VM suite passed: %d specs; VM %s, total wall time %s; serial log in %s",
		res.SpecsRan, vmTime.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond), logPath)
}

// assetsDir is VM_ASSETS, relative paths taken from the module root as the Makefile does.
func assetsDir(t *testing.T) string {
	dir := os.Getenv("VM_ASSETS")
	if dir == "" {
		t.Fatal("VM_ASSETS is not set: run `make test-vm` (it fetches the kernel with hack/vm-assets.sh)")
	}
	if !filepath.IsAbs(dir) {
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(filepath.Dir(strings.TrimSpace(string(gomod))), dir)
	}
	if _, err := os.Stat(filepath.Join(dir, ".stamp")); err != nil {
		t.Fatalf("%s is not a complete VM asset directory (run hack/vm-assets.sh %s): %v", dir, dir, err)
	}
	return dir
}

// kernelImage prefers the ELF vmlinux: qemu boots it through PVH and skips the bzImage's
// self-decompression, which costs seconds under TCG.
func kernelImage(assets string) string {
	if _, err := os.Stat(filepath.Join(assets, "vmlinux")); err == nil {
		return filepath.Join(assets, "vmlinux")
	}
	return filepath.Join(assets, "vmlinuz")
}

func timeout(t *testing.T) time.Duration {
	if s := os.Getenv("SLICELB_VM_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("SLICELB_VM_TIMEOUT: %v", err)
		}
		return d
	}
	return 8 * time.Minute
}

func readFile(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// prefixWriter marks the guest's console lines in the test output.
type prefixWriter struct{ w *os.File }

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte("vm| "), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}
