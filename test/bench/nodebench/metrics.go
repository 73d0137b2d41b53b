package nodebench

import (
	"bufio"
	"slices"
	"strconv"
	"strings"
)

// MetricSum sums the samples of the Prometheus text series name whose labels include every one
// of labels (each written k="v"; none: all label sets), e.g.
// kubeproxy_sync_proxy_rules_duration_seconds_sum with ip_family="IPv4". found is false when no
// sample matched.
func MetricSum(text, name string, labels ...string) (sum float64, found bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		set := ""
		if rest[0] == '{' {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			set, rest = rest[1:end], rest[end+1:]
		}
		if !hasLabels(set, labels) {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

// hasLabels reports whether the label set text (k1="v1",k2="v2") holds each of want.
func hasLabels(set string, want []string) bool {
	for _, w := range want {
		if !slices.Contains(strings.Split(set, ","), w) {
			return false
		}
	}
	return true
}
