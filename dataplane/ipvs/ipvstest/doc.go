// Package ipvstest holds a conformance check for ipvs.Interface
// implementations. The same check runs against ipvs.Fake in unit tests and
// against ipvs.Netlink inside the test VM (a real kernel), which proves the
// fake behaves like the kernel wherever the proxier's tests rely on it.
package ipvstest
