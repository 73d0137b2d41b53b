package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Boot describes one VM run.
type Boot struct {
	// Kernel is the ELF vmlinux (PVH boot, faster under TCG) or the bzImage.
	Kernel string
	Initrd string
	// Args are passed to the guest's /init after "--" on the kernel command line; they must not
	// contain spaces.
	Args     []string
	MemoryMB int
	CPUs     int
	// Accel is "tcg" or "kvm"; see ChooseAccel.
	Accel   string
	Timeout time.Duration
	// Extra are more qemu arguments, e.g. a user-mode network device.
	Extra []string
}

// ChooseAccel picks KVM only where a real hardware KVM module is loaded. On machines whose /dev/kvm
// is a software nested implementation (kvm_pvm), a stock kernel hangs or dies with an emulation
// failure, so TCG is the safe default; SLICELB_VM_ACCEL overrides the choice.
func ChooseAccel() string {
	if a := os.Getenv("SLICELB_VM_ACCEL"); a != "" {
		return a
	}
	for _, m := range []string{"/sys/module/kvm_intel", "/sys/module/kvm_amd"} {
		if _, err := os.Stat(m); err == nil {
			if f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0); err == nil {
				_ = f.Close()
				return "kvm"
			}
		}
	}
	return "tcg"
}

// CommandLine is the kernel command line: serial console, no kernel chatter, and a panic (e.g. init
// exiting without powering off) ends the VM at once instead of hanging until the timeout.
// no_timer_check skips the early IO-APIC timer test: on an emulated CPU starved by a loaded host it
// can miss its ticks and panic ("IO-APIC + timer doesn't work!"), as seen under TCG at load 12.
func (b Boot) CommandLine() string {
	cl := "console=ttyS0 quiet loglevel=3 panic=-1 oops=panic no_timer_check"
	if len(b.Args) > 0 {
		cl += " -- " + strings.Join(b.Args, " ")
	}
	return cl
}

// QemuArgs are the arguments of qemu-system-x86_64 for this boot (Run adds none; a caller that
// manages the process itself, e.g. a long-running VM node, uses them directly).
func (b Boot) QemuArgs() []string {
	cpu := "max"
	if b.Accel == "kvm" {
		cpu = "host"
	}
	return append([]string{
		"-accel", b.Accel, "-cpu", cpu,
		"-m", fmt.Sprint(b.MemoryMB), "-smp", fmt.Sprint(b.CPUs),
		"-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
		"-kernel", b.Kernel, "-initrd", b.Initrd,
		"-append", b.CommandLine(),
	}, b.Extra...)
}

// Run boots the VM, copies every console line (with the serial line's \r stripped) to out as it
// arrives, and returns the whole log. The VM is killed when Timeout passes; that is an error.
func (b Boot) Run(ctx context.Context, out io.Writer) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", b.QemuArgs()...)
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("starting qemu-system-x86_64 (run hack/vm-assets.sh): %w", err)
	}
	var log strings.Builder
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := strings.ReplaceAll(sc.Text(), "\r", "")
		log.WriteString(line + "\n")
		_, _ = fmt.Fprintln(out, line)
	}
	err = cmd.Wait()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return log.String(), fmt.Errorf("VM killed after the %s timeout", b.Timeout)
	}
	if err != nil {
		return log.String(), fmt.Errorf("qemu: %w", err)
	}
	return log.String(), nil
}
