// Package vm boots the real-kernel suite: TestVM builds the guest test binary (test/vm/guest) as a
// static executable, writes an initramfs around it with the IPVS, netfilter and virtual-device
// modules of the Debian kernel that hack/vm-assets.sh fetched, boots it once in qemu, streams the
// serial console into the test output, and fails unless the guest reports that specs ran and passed.
//
// Environment:
//
//	VM_ASSETS            directory written by hack/vm-assets.sh (required; `make test-vm` sets it)
//	VM_GUEST_ARGS        extra arguments for the guest binary, e.g. "-ginkgo.focus=UDP" (no spaces
//	                     inside one argument: they travel on the kernel command line)
//	SLICELB_VM_ACCEL     tcg or kvm (default: kvm only with a hardware KVM module loaded)
//	SLICELB_VM_TIMEOUT   hard limit for the VM run (default 8m)
//
// The serial log of the last run is saved as VM_ASSETS/last-run.log; its "slicelb-vm-measure:" lines
// (split counts, connections lost, …) are also logged by TestVM (visible with go test -v).
//
// A machine that cannot run the VM fails this test loudly; it never skips. If the kernel dies before
// it starts the guest (KVM that cannot run it, early-boot trouble on a starved emulated CPU), the VM
// is booted once more with TCG, and the test log says so.
package vm
