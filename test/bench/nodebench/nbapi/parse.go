package nbapi

import (
	"bufio"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// traceCall matches one strace line of a netlink send or receive: with -yy strace prints the
// socket as 3<NETLINK:[GENERIC:1234]>, and with -f every line starts with the thread id. A call
// split by another thread ("<unfinished ...>" ... "<... sendmsg resumed>") is counted once, on its
// first line; the resumed half never names the descriptor.
var traceCall = regexp.MustCompile(`^(?:\[pid\s+)?\d*\]?\s*(sendto|sendmsg|recvfrom|recvmsg)\(\d+<NETLINK:`)

// CountTrace counts the netlink sends and receives in strace output.
func CountTrace(r io.Reader) (TraceCount, error) {
	var c TraceCount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		m := traceCall.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if strings.HasPrefix(m[1], "send") {
			c.Sends++
		} else {
			c.Recvs++
		}
	}
	return c, sc.Err()
}

// Sub is c − o: the calls between two counts.
func (c TraceCount) Sub(o TraceCount) TraceCount {
	return TraceCount{Sends: c.Sends - o.Sends, Recvs: c.Recvs - o.Recvs}
}

// VmHWM is the peak resident set size in KiB from the text of /proc/PID/status; 0 when absent.
func VmHWM(status string) int {
	for _, l := range strings.Split(status, "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.Atoi(f[0])
				return v
			}
		}
	}
	return 0
}
