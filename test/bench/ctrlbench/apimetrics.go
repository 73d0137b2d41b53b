package ctrlbench

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/client-go/kubernetes"
)

// RequestCounts are apiserver_request_total write counts by "VERB resource[/subresource]";
// Conflicts counts the writes answered 409 among them.
type RequestCounts struct {
	Writes    map[string]int
	Conflicts int
}

var labelRE = regexp.MustCompile(`(\w+)="([^"]*)"`)

// writeVerbs are the verbs that change state as apiserver_request_total names them.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true, "APPLY": true, "DELETECOLLECTION": true}

// ScrapeRequests reads the API server's /metrics and sums apiserver_request_total's writes.
func ScrapeRequests(ctx context.Context, cs *kubernetes.Clientset) (RequestCounts, error) {
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return RequestCounts{}, err
	}
	return ParseRequests(string(raw)), nil
}

// ParseRequests sums the write series of apiserver_request_total in a Prometheus text exposition.
func ParseRequests(text string) RequestCounts {
	rc := RequestCounts{Writes: map[string]int{}}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		end := strings.LastIndex(line, "}")
		if end < 0 {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			continue
		}
		labels := map[string]string{}
		for _, m := range labelRE.FindAllStringSubmatch(line[:end], -1) {
			labels[m[1]] = m[2]
		}
		if !writeVerbs[labels["verb"]] {
			continue
		}
		key := labels["verb"] + " " + labels["resource"]
		if labels["subresource"] != "" {
			key += "/" + labels["subresource"]
		}
		rc.Writes[key] += int(v)
		if labels["code"] == "409" {
			rc.Conflicts += int(v)
		}
	}
	return rc
}

// ignoredResources are written by kube-apiserver itself, never by a contender: its identity Lease
// heartbeat (both contenders run without leader election) and the IPAddress objects its ClusterIP
// allocator creates for each new Service.
var ignoredResources = map[string]bool{"leases": true, "ipaddresses": true, "servicecidrs": true}

// ContenderWrites is after - before - harness, per key, dropping zero and ignored keys.
func ContenderWrites(before, after RequestCounts, harnessBefore, harnessAfter map[string]int) (map[string]int, int) {
	out := map[string]int{}
	total := 0
	for k, v := range after.Writes {
		d := v - before.Writes[k] - (harnessAfter[k] - harnessBefore[k])
		if d == 0 || ignoredResources[resourceOfKey(k)] {
			continue
		}
		out[k] = d
		total += d
	}
	return out, total
}

// resourceOfKey is the resource of a "VERB resource/subresource" key.
func resourceOfKey(k string) string {
	_, rest, _ := strings.Cut(k, " ")
	res, _, _ := strings.Cut(rest, "/")
	return res
}
