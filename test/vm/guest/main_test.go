package guest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/vishvananda/netns"

	"github.com/slicelb/slicelb/test/vm/harness"
)

// rootNS is the VM's root network namespace: the node.
var rootNS netns.NsHandle

func TestMain(m *testing.M) {
	if code, ok := agentProcess(); ok { // the node agent as a separate process (agentproc_test.go)
		os.Exit(code)
	}
	if !IsPID1() {
		fmt.Println("guest: not PID 1; these specs run inside the VM that test/vm boots")
		os.Exit(0)
	}
	start := time.Now()
	fmt.Printf("%s (kernel command line arguments: %q)\n", harness.GuestStarted, os.Args[1:])
	code := 1
	loaded, err := Setup()
	if err != nil {
		fmt.Printf("guest: setup failed: %v\n", err)
	} else {
		uptime, _ := os.ReadFile("/proc/uptime")
		fmt.Printf("guest: loaded %d modules (kernel uptime %ss): %s\n", len(loaded),
			strings.Fields(string(uptime) + " ?")[0], strings.Join(loaded, " "))
		if rootNS, err = netns.Get(); err != nil {
			fmt.Printf("guest: reading the root namespace: %v\n", err)
		} else {
			code = m.Run()
		}
	}
	verdict := "PASS"
	if code != 0 {
		verdict = "FAIL"
	}
	fmt.Printf("%s%s exit=%d guest-seconds=%.1f\n", harness.ResultPrefix, verdict, code, time.Since(start).Seconds())
	PowerOff()
	os.Exit(code)
}

func TestGuest(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "slicelb real-kernel suite")
}

// measure prints a measured number on its own line so the closing note can quote it.
func measure(format string, args ...any) {
	fmt.Printf("slicelb-vm-measure: "+format+"\n", args...)
}
