package nbapi

import (
	"strconv"
	"strings"
)

// Sub is c − o: the messages between two counts.
func (c NetlinkCount) Sub(o NetlinkCount) NetlinkCount {
	return NetlinkCount{Writes: c.Writes - o.Writes, Reads: c.Reads - o.Reads, Replies: c.Replies - o.Replies,
		ReplyMessages: c.ReplyMessages - o.ReplyMessages, Dropped: c.Dropped - o.Dropped, Truncated: c.Truncated - o.Truncated}
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
