package harness

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const modulesDep = `kernel/net/netfilter/ipvs/ip_vs_rr.ko: kernel/net/netfilter/ipvs/ip_vs.ko kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko
kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko
kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko
kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko:
kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko:
kernel/lib/libcrc32c.ko:
kernel/crypto/crc32c_generic.ko:
kernel/drivers/net/dummy.ko:
`

func TestLoadOrder(t *testing.T) {
	md, err := ParseModulesDep(modulesDep)
	if err != nil {
		t.Fatal(err)
	}
	got, err := md.LoadOrder([]string{"crc32c_generic", "ip_vs_rr", "ip_vs", "dummy", "veth"}, map[string]bool{"veth": true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"crc32c_generic", "libcrc32c", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_conntrack", "ip_vs", "ip_vs_rr", "dummy"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("LoadOrder = %v, want %v", got, want)
	}
	if _, err := md.LoadOrder([]string{"ip_vs_nonexistent"}, nil); err == nil {
		t.Fatal("an unknown module was accepted")
	}
}

func TestInitramfsArchive(t *testing.T) {
	dir := t.TempDir()
	for file := range strings.SplitSeq("kernel/lib/libcrc32c.ko kernel/crypto/crc32c_generic.ko", " ") {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(file)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte("ELF:"+file), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dep := "kernel/lib/libcrc32c.ko:\nkernel/crypto/crc32c_generic.ko:\n"
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	initPath := filepath.Join(dir, "init")
	if err := os.WriteFile(initPath, []byte("#!guest"), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	files := []File{
		{Path: "etc/vmnode/config.json", Mode: 0o644, Data: []byte("{}")},
		{Path: "etc/vmnode/node.kubeconfig", Mode: 0o600, Data: []byte("kc")},
		{Path: "bin/slicelb-node", Mode: 0o755, Data: []byte("ELF")},
		{Path: "var/run/marker", Mode: 0o644, Data: nil}, // var/run already exists: no second entry
	}
	order, err := Initramfs{Init: initPath, ModulesDir: dir, Modules: []string{"crc32c_generic", "libcrc32c"}, Files: files}.Write(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(order, []string{"crc32c_generic", "libcrc32c"}) {
		t.Fatalf("order = %v", order)
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	entries := readNewc(t, raw)
	want := map[string]string{
		"init": "#!guest", "modules/order": "crc32c_generic\nlibcrc32c\n",
		"modules/libcrc32c.ko": "ELF:kernel/lib/libcrc32c.ko", "modules/crc32c_generic.ko": "ELF:kernel/crypto/crc32c_generic.ko",
		"dev/console": "", "dev/null": "", "dev": "", "proc": "", "sys": "", "run": "", "tmp": "", "var": "",
		"var/run": "", "modules": "", "TRAILER!!!": "",
		"etc": "", "etc/vmnode": "", "etc/vmnode/config.json": "{}", "etc/vmnode/node.kubeconfig": "kc",
		"bin": "", "bin/slicelb-node": "ELF", "var/run/marker": "",
	}
	if !reflect.DeepEqual(entries, want) {
		t.Fatalf("archive entries = %v, want %v", entries, want)
	}
}

// readNewc decodes a newc archive (the kernel's format) independently of the writer.
func readNewc(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	align := func(n int) int { return (n + 3) &^ 3 }
	off := 0
	for off < len(b) {
		if string(b[off:off+6]) != "070701" {
			t.Fatalf("bad magic at %d", off)
		}
		field := func(i int) int {
			var v int
			for _, c := range b[off+6+8*i : off+6+8*i+8] {
				v = v*16 + strings.IndexByte("0123456789ABCDEF", c)
			}
			return v
		}
		size, nameSize := field(6), field(11)
		nameStart := off + 110
		name := string(b[nameStart : nameStart+nameSize-1])
		dataStart := align(nameStart + nameSize)
		out[name] = string(b[dataStart : dataStart+size])
		off = align(dataStart + size)
		if name == "TRAILER!!!" {
			break
		}
	}
	return out
}

func TestParseResult(t *testing.T) {
	pass := "Ran 3 of 3 Specs in 4.2 seconds\nSUCCESS! -- 3 Passed | 0 Failed\nPASS\n" + ResultPrefix + "PASS exit=0\n"
	if r, err := ParseResult(pass); err != nil || !reflect.DeepEqual(r, Result{Pass: true, SpecsRan: 3}) {
		t.Fatalf("passing log: %+v, %v", r, err)
	}
	bad := map[string]string{
		"no result line":  "Ran 3 of 3 Specs\nPASS\n",
		"no summary":      ResultPrefix + "PASS exit=0\n",
		"failed spec":     "[FAIL] ClusterIP splits\nRan 3 of 3 Specs\n" + ResultPrefix + "PASS exit=0\n",
		"go test failed":  "Ran 3 of 3 Specs\n--- FAIL: TestGuest\n" + ResultPrefix + "FAIL exit=1\n",
		"guest said fail": "Ran 3 of 3 Specs\n" + ResultPrefix + "FAIL exit=1\n",
		"nothing ran":     "Ran 0 of 3 Specs\n" + ResultPrefix + "PASS exit=0\n",
		"empty log":       "",
	}
	for name, log := range bad {
		if _, err := ParseResult(log); err == nil {
			t.Errorf("%s: accepted as a pass", name)
		}
	}
}
