package utils

import (
	"net/http"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
)

// Request is one HTTP request a client sent to the API server.
type Request struct {
	Method string
	Path   string
}

// RequestCounter records the requests of the clients built from a rest.Config it wraps.
// The suites use it to prove "no-op is free": a resync with nothing changed must send no
// write (any verb but GET: POST, PUT, PATCH, DELETE).
type RequestCounter struct {
	mu       sync.Mutex
	requests []Request
}

// Wrap makes every client built from cfg record its requests in c.
func (c *RequestCounter) Wrap(cfg *rest.Config) {
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripper{counter: c, next: rt}
	})
}

// Mark returns a position to count from.
func (c *RequestCounter) Mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.requests)
}

// WritesSince returns the non-GET requests since mark whose path contains every one of
// the given fragments (e.g. "/namespaces/ns-1/", "/endpointslices").
func (c *RequestCounter) WritesSince(mark int, fragments ...string) []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Request
	for _, r := range c.requests[mark:] {
		if r.Method == http.MethodGet || !containsAll(r.Path, fragments) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func containsAll(s string, fragments []string) bool {
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			return false
		}
	}
	return true
}

type roundTripper struct {
	counter *RequestCounter
	next    http.RoundTripper
}

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.counter.mu.Lock()
	rt.counter.requests = append(rt.counter.requests, Request{Method: req.Method, Path: req.URL.Path})
	rt.counter.mu.Unlock()
	return rt.next.RoundTrip(req)
}
