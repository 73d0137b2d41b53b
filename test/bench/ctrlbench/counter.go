package ctrlbench

import (
	"net/http"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
)

// Counter counts the harness's own writes by "VERB resource[/subresource]", the key the API
// server's apiserver_request_total uses, so they can be subtracted from the server's totals.
type Counter struct {
	mu     sync.Mutex
	writes map[string]int
}

// Wrap makes every client built from cfg count its writes in c.
func (c *Counter) Wrap(cfg *rest.Config) {
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return counting{c: c, next: rt} })
}

// Snapshot returns a copy of the counts so far.
func (c *Counter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.writes))
	for k, v := range c.writes {
		out[k] = v
	}
	return out
}

func (c *Counter) add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writes == nil {
		c.writes = map[string]int{}
	}
	c.writes[key]++
}

type counting struct {
	c    *Counter
	next http.RoundTripper
}

func (t counting) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet {
		t.c.add(req.Method + " " + ResourceOfPath(req.URL.Path))
	}
	return t.next.RoundTrip(req)
}

// ResourceOfPath returns "resource" or "resource/subresource" of an API path such as
// /api/v1/namespaces/ns/pods/p/status or /apis/discovery.k8s.io/v1/namespaces/ns/endpointslices.
func ResourceOfPath(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return path
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		parts = parts[2:]
	}
	switch len(parts) {
	case 0:
		return ""
	case 1, 2:
		return parts[0]
	default:
		return parts[0] + "/" + parts[2]
	}
}
