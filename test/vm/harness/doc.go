// Package harness is the host side of the real-kernel VM suite: it resolves kernel modules from
// modules.dep, writes the initramfs (cpio newc + gzip, no root and no busybox needed), boots qemu
// under a hard timeout while streaming the serial console, and judges the guest's result lines.
//
// The guest is a statically linked `go test` binary that runs as PID 1 (see test/vm/guest); the
// kernel and modules come from hack/vm-assets.sh (Debian's linux-image package).
package harness
