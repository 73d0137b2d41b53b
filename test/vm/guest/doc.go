// Package guest is the VM suite itself: its test binary, built by test/vm with CGO_ENABLED=0, runs
// as PID 1 in the VM's initramfs. TestMain mounts the pseudo file systems, loads the kernel modules
// listed in the initramfs with finit_module(2), brings up loopback, runs the Ginkgo specs against the
// real kernel, prints the result line test/vm/harness looks for, and powers the VM off.
//
// On any machine where the binary is not PID 1 (a plain `go test ./...` on the host) it does
// nothing: the host-side test in test/vm is what boots it.
package guest
