package guest

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slicelb/slicelb/test/vm/harness"
)

// IsPID1 reports whether this process is the VM's init.
func IsPID1() bool { return os.Getpid() == 1 }

type mount struct{ source, target, fstype string }

// The rootfs is the initramfs; nothing mounts these for us. /var/run must be writable for named
// network namespaces (netns.NewNamed) and /tmp for the testing package.
var mounts = []mount{
	{"proc", "/proc", "proc"},
	{"sysfs", "/sys", "sysfs"},
	{"devtmpfs", "/dev", "devtmpfs"},
	{"tmpfs", "/run", "tmpfs"},
	{"tmpfs", "/var/run", "tmpfs"},
	{"tmpfs", "/tmp", "tmpfs"},
}

// Setup prepares the VM for the specs. It returns the modules it loaded, in order.
func Setup() ([]string, error) {
	for _, m := range mounts {
		if err := unix.Mount(m.source, m.target, m.fstype, 0, ""); err != nil {
			return nil, fmt.Errorf("mounting %s on %s: %w", m.fstype, m.target, err)
		}
	}
	loaded, err := loadModules(harness.ModuleOrderFile)
	if err != nil {
		return loaded, err
	}
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return loaded, err
	}
	return loaded, netlink.LinkSetUp(lo)
}

// loadModules loads each module named in the order file from /modules/NAME.ko. modprobe is not
// there (and moby/ipvs's attempt to run it only logs a warning): the order file already lists
// dependencies first.
func loadModules(orderFile string) ([]string, error) {
	b, err := os.ReadFile(orderFile)
	if err != nil {
		return nil, err
	}
	var loaded []string
	for _, name := range strings.Fields(string(b)) {
		if err := finitModule("/modules/" + name + ".ko"); err != nil {
			return loaded, fmt.Errorf("loading module %s: %w", name, err)
		}
		loaded = append(loaded, name)
	}
	return loaded, nil
}

func finitModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if err := unix.FinitModule(int(f.Fd()), "", 0); err != nil && !errors.Is(err, unix.EEXIST) {
		return err
	}
	return nil
}

// PowerOff flushes and powers the VM off; qemu then exits. If that fails, returning from PID 1
// panics the kernel, which also ends the VM (the harness boots with panic=-1 and -no-reboot).
func PowerOff() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}
