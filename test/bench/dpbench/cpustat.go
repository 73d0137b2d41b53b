package dpbench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPUTimes are the whole machine's CPU times from the first line of /proc/stat.
type CPUTimes struct {
	User, System, Softirq, Irq, Idle time.Duration
}

// userHZ is the unit of /proc/stat: USER_HZ, 100 on every Linux architecture Go supports
// (the kernel scales its own HZ to it for user space).
const userHZ = 100

// ReadCPUTimes reads /proc/stat (the guest's, when run in the VM).
func ReadCPUTimes() (CPUTimes, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return CPUTimes{}, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return CPUTimes{}, fmt.Errorf("/proc/stat is empty")
	}
	return ParseCPULine(sc.Text())
}

// ParseCPULine parses /proc/stat's aggregate line:
// "cpu user nice system idle iowait irq softirq steal guest guest_nice" in USER_HZ ticks.
// Nice time counts as user time.
func ParseCPULine(line string) (CPUTimes, error) {
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return CPUTimes{}, fmt.Errorf("not a /proc/stat cpu line: %q", line)
	}
	v := make([]time.Duration, 7)
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return CPUTimes{}, fmt.Errorf("/proc/stat field %d: %w", i+1, err)
		}
		v[i] = time.Duration(n) * time.Second / userHZ
	}
	return CPUTimes{User: v[0] + v[1], System: v[2], Idle: v[3], Irq: v[5], Softirq: v[6]}, nil
}

// Sub returns c - o field by field.
func (c CPUTimes) Sub(o CPUTimes) CPUTimes {
	return CPUTimes{User: c.User - o.User, System: c.System - o.System, Softirq: c.Softirq - o.Softirq,
		Irq: c.Irq - o.Irq, Idle: c.Idle - o.Idle}
}
