//go:build unix

package dpbench

import (
	"time"

	"golang.org/x/sys/unix"
)

// ProcessCPU is this process's user + system CPU time (getrusage), for the host's side of the
// calibration: other work on the shared host does not count in it.
func ProcessCPU() (time.Duration, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
