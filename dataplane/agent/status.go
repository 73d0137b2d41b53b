package agent

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/slicelb/slicelb/dataplane/ipvs"
)

// DefaultStatusHeader is the first line `ipvsadm -Ln` prints on a Linux kernel with the default
// connection table size (IP_VS_VERSION_CODE 1.2.1, CONFIG_IP_VS_TAB_BITS=12). It is used when the
// kernel's own line (the first line of /proc/net/ip_vs) cannot be read.
const DefaultStatusHeader = "IP Virtual Server version 1.2.1 (size=4096)"

// procIPVS is where the kernel prints its IPVS version and table size.
const procIPVS = "/proc/net/ip_vs"

// KernelStatusHeader returns the kernel's IPVS header line (version and connection table size),
// the same line ipvsadm prints first, or DefaultStatusHeader when it cannot be read.
func KernelStatusHeader() string {
	f, err := os.Open(procIPVS)
	if err != nil {
		return DefaultStatusHeader
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	if sc.Scan() && strings.HasPrefix(sc.Text(), "IP Virtual Server version") {
		return sc.Text()
	}
	return DefaultStatusHeader
}

// WriteStatus prints the whole IPVS table of h (foreign virtual servers included, as ipvsadm does)
// in the `ipvsadm -Ln` layout, headed by header (KernelStatusHeader() or DefaultStatusHeader).
func WriteStatus(w io.Writer, header string, h ipvs.Interface) error {
	table, err := ipvs.ReadTable(h, nil)
	if err != nil {
		return fmt.Errorf("reading the IPVS table: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n%s", header, table.String())
	return err
}
