package utils

import (
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ProxiedRequest is one request that went through an APIProxy.
type ProxiedRequest struct {
	Method string
	// Path is the URL path (no query).
	Path string
	// Watch is true for ?watch=true requests.
	Watch bool
	// At is when the proxy received the request, before it was forwarded.
	At time.Time
	// Status is the API server's answer (502 when it could not be reached).
	Status int
}

// Write reports whether the request could change an object (any verb but GET).
func (r ProxiedRequest) Write() bool { return r.Method != http.MethodGet }

// APIProxy is a plain-HTTP reverse proxy in front of the API server that authenticates as the
// rest.Config it was built from. Fault tests put one in front of each controller process to
// see exactly what that process sent (which replica wrote what, and when; which writes met a
// 409 Conflict) and to hold back watch events (SetWatchDelay), i.e. to make its cache stale.
type APIProxy struct {
	// URL is the proxy's address, http://127.0.0.1:PORT.
	URL string

	srv        *http.Server
	watchDelay atomic.Int64

	mu       sync.Mutex
	requests []ProxiedRequest
}

// NewAPIProxy listens on a free loopback port and forwards to cfg.Host with cfg's credentials.
func NewAPIProxy(cfg *rest.Config) (*APIProxy, error) {
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, err
	}
	transport, err := rest.TransportFor(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &APIProxy{URL: "http://" + ln.Addr().String()}
	rp := &httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = target.Host },
		Transport:      transport,
		FlushInterval:  -1, // watch events pass at once (unless delayed on purpose)
		ModifyResponse: p.modifyResponse,
	}
	p.srv = &http.Server{Handler: p.handler(rp), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// SetWatchDelay makes every watch event reach the client d after the API server sent it
// (order kept); 0 turns the delay off for chunks read from then on.
func (p *APIProxy) SetWatchDelay(d time.Duration) { p.watchDelay.Store(int64(d)) }

// Requests returns every finished request so far (watches appear when they end).
func (p *APIProxy) Requests() []ProxiedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ProxiedRequest(nil), p.requests...)
}

// WriteKubeconfig writes a kubeconfig that points a client at the proxy (no credentials of
// its own: the proxy adds them).
func (p *APIProxy) WriteKubeconfig(path string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: p.URL}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	cfg.CurrentContext = "proxy"
	return clientcmd.WriteToFile(*cfg, path)
}

// Close stops the proxy and cuts the connections through it.
// Watches never go idle, so there is no graceful shutdown to wait for.
func (p *APIProxy) Close() error { return p.srv.Close() }

func (p *APIProxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := ProxiedRequest{Method: r.Method, Path: r.URL.Path, Watch: r.URL.Query().Get("watch") == "true", At: time.Now()}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		rec.Status = sw.status
		p.mu.Lock()
		p.requests = append(p.requests, rec)
		p.mu.Unlock()
	})
}

func (p *APIProxy) modifyResponse(resp *http.Response) error {
	if resp.Request != nil && resp.Request.URL.Query().Get("watch") == "true" {
		resp.Body = newDelayedBody(resp.Body, &p.watchDelay)
	}
	return nil
}

// statusWriter remembers the status code; Unwrap lets the reverse proxy flush through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// chunk is what the API server sent at a time (or the error that ended the stream).
type chunk struct {
	data []byte
	at   time.Time
	err  error
}

// delayedBody hands out each chunk of a watch stream no earlier than delay after it arrived:
// a reader goroutine stamps chunks as they come, Read releases them in order.
type delayedBody struct {
	src     interface{ Close() error }
	chunks  chan chunk
	delay   *atomic.Int64
	pending []byte
	done    chan struct{}
	once    sync.Once
}

func newDelayedBody(src interface {
	Read([]byte) (int, error)
	Close() error
}, delay *atomic.Int64) *delayedBody {
	b := &delayedBody{src: src, chunks: make(chan chunk, 1024), delay: delay, done: make(chan struct{})}
	go func() {
		for {
			buf := make([]byte, 32*1024)
			n, err := src.Read(buf)
			if n > 0 {
				select {
				case b.chunks <- chunk{data: buf[:n], at: time.Now()}:
				case <-b.done:
					return
				}
			}
			if err != nil {
				select {
				case b.chunks <- chunk{err: err, at: time.Now()}:
				case <-b.done:
				}
				return
			}
		}
	}()
	return b
}

func (b *delayedBody) Read(p []byte) (int, error) {
	if len(b.pending) == 0 {
		var c chunk
		select {
		case c = <-b.chunks:
		case <-b.done:
			return 0, errors.New("watch body closed")
		}
		if wait := time.Until(c.at.Add(time.Duration(b.delay.Load()))); wait > 0 {
			select {
			case <-time.After(wait):
			case <-b.done:
				return 0, errors.New("watch body closed")
			}
		}
		if c.err != nil {
			return 0, c.err
		}
		b.pending = c.data
	}
	n := copy(p, b.pending)
	b.pending = b.pending[n:]
	return n, nil
}

func (b *delayedBody) Close() error {
	b.once.Do(func() { close(b.done) })
	return b.src.Close()
}

// pathHas reports whether r.Path contains every fragment.
func pathHas(r ProxiedRequest, fragments ...string) bool {
	for _, f := range fragments {
		if !strings.Contains(r.Path, f) {
			return false
		}
	}
	return true
}

// Matching returns the requests whose path contains every fragment and that pass keep.
func Matching(reqs []ProxiedRequest, keep func(ProxiedRequest) bool, fragments ...string) []ProxiedRequest {
	var out []ProxiedRequest
	for _, r := range reqs {
		if pathHas(r, fragments...) && (keep == nil || keep(r)) {
			out = append(out, r)
		}
	}
	return out
}
