package metricsauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
)

// fakeTokens authenticates the tokens in users; failures are returned first, one per call.
type fakeTokens struct {
	users    map[string]authnv1.UserInfo
	failures []error
	calls    int
}

func (f *fakeTokens) Create(_ context.Context, r *authnv1.TokenReview, _ metav1.CreateOptions) (*authnv1.TokenReview, error) {
	f.calls++
	if len(f.failures) > 0 {
		err := f.failures[0]
		f.failures = f.failures[1:]
		return nil, err
	}
	out := r.DeepCopy()
	if u, ok := f.users[r.Spec.Token]; ok {
		out.Status = authnv1.TokenReviewStatus{Authenticated: true, User: u}
	}
	return out, nil
}

// fakeAccess allows the users in allowed, denies (explicitly) those in denied, and records the
// last review.
type fakeAccess struct {
	allowed, denied map[string]bool
	failures        []error
	calls           int
	last            authzv1.SubjectAccessReviewSpec
}

func (f *fakeAccess) Create(_ context.Context, r *authzv1.SubjectAccessReview, _ metav1.CreateOptions) (*authzv1.SubjectAccessReview, error) {
	f.calls++
	f.last = r.Spec
	if len(f.failures) > 0 {
		err := f.failures[0]
		f.failures = f.failures[1:]
		return nil, err
	}
	out := r.DeepCopy()
	out.Status.Allowed = f.allowed[r.Spec.User]
	out.Status.Denied = f.denied[r.Spec.User]
	return out, nil
}

type fixture struct {
	tokens *fakeTokens
	access *fakeAccess
	clock  time.Time
	h      http.Handler
	served int
}

func newFixture() *fixture {
	f := &fixture{
		tokens: &fakeTokens{users: map[string]authnv1.UserInfo{
			"reader-token":   {Username: "system:serviceaccount:monitoring:prometheus", UID: "u1", Groups: []string{"system:serviceaccounts"}, Extra: map[string]authnv1.ExtraValue{"k": {"v"}}},
			"stranger-token": {Username: "stranger"},
			"both-token":     {Username: "both"},
		}},
		access: &fakeAccess{allowed: map[string]bool{"system:serviceaccount:monitoring:prometheus": true, "both": true}, denied: map[string]bool{"both": true}},
		clock:  time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
	}
	g := NewGuard(f.tokens, f.access)
	g.now = func() time.Time { return f.clock }
	g.backoff = wait.Backoff{Duration: time.Millisecond, Factor: 1, Steps: 3}
	f.h = g.Wrap(logr.Discard(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		f.served++
		_, _ = w.Write([]byte("metrics"))
	}))
	return f
}

func (f *fixture) get(auth string) int {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code
}

func TestGuardAnswers(t *testing.T) {
	serverErr := apierrors.NewInternalError(errors.New("etcd down"))
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "authentication.k8s.io", Resource: "tokenreviews"}, "", errors.New("no RBAC"))
	tests := []struct {
		name          string
		auth          string
		tokenFailures []error
		wantCode      int
		wantTokens    int // TokenReviews sent
		wantAccess    int // SubjectAccessReviews sent
	}{
		{"no Authorization header", "", nil, http.StatusUnauthorized, 0, 0},
		{"not a bearer token", "Basic dXNlcjpwYXNz", nil, http.StatusUnauthorized, 0, 0},
		{"an empty bearer token", "Bearer ", nil, http.StatusUnauthorized, 0, 0},
		{"a token the API server rejects", "Bearer forged", nil, http.StatusUnauthorized, 1, 0},
		{"a user without the permission", "Bearer stranger-token", nil, http.StatusForbidden, 1, 1},
		{"a user both allowed and denied (deny wins)", "Bearer both-token", nil, http.StatusForbidden, 1, 1},
		{"a metrics reader", "Bearer reader-token", nil, http.StatusOK, 1, 1},
		{"the scheme is case-insensitive", "bearer reader-token", nil, http.StatusOK, 1, 1},
		{"a transient TokenReview failure is retried", "Bearer reader-token", []error{serverErr}, http.StatusOK, 2, 1},
		{"a persistent failure is an error", "Bearer reader-token", []error{serverErr, serverErr, serverErr}, http.StatusInternalServerError, 3, 0},
		{"a refused TokenReview is not retried", "Bearer reader-token", []error{forbidden}, http.StatusInternalServerError, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			f.tokens.failures = tt.tokenFailures
			if got := f.get(tt.auth); got != tt.wantCode {
				t.Errorf("code %d, want %d", got, tt.wantCode)
			}
			if f.tokens.calls != tt.wantTokens || f.access.calls != tt.wantAccess {
				t.Errorf("reviews sent: %d TokenReviews, %d SubjectAccessReviews; want %d, %d", f.tokens.calls, f.access.calls, tt.wantTokens, tt.wantAccess)
			}
			if wantServed := tt.wantCode == http.StatusOK; (f.served == 1) != wantServed {
				t.Errorf("handler served %d times", f.served)
			}
		})
	}
}

func TestGuardAsksForThePathAndVerbAsTheUser(t *testing.T) {
	f := newFixture()
	if code := f.get("Bearer reader-token"); code != http.StatusOK {
		t.Fatalf("code %d", code)
	}
	spec := f.access.last
	if spec.User != "system:serviceaccount:monitoring:prometheus" || spec.UID != "u1" || len(spec.Groups) != 1 || spec.Extra["k"][0] != "v" {
		t.Errorf("review is not for the token's user: %+v", spec)
	}
	if spec.NonResourceAttributes == nil || spec.NonResourceAttributes.Path != "/metrics" || spec.NonResourceAttributes.Verb != "get" || spec.ResourceAttributes != nil {
		t.Errorf("review is not for get /metrics: %+v", spec)
	}
}

func TestGuardCachesDecisions(t *testing.T) {
	f := newFixture()
	steps := []struct {
		advance     time.Duration
		auth        string
		wantCode    int
		wantReviews [2]int // cumulative TokenReviews, SubjectAccessReviews
	}{
		{0, "Bearer reader-token", 200, [2]int{1, 1}},
		{30 * time.Second, "Bearer reader-token", 200, [2]int{1, 1}}, // both cached
		{31 * time.Second, "Bearer reader-token", 200, [2]int{2, 1}}, // token expired after 1 min, access still cached
		{5 * time.Minute, "Bearer reader-token", 200, [2]int{3, 2}},  // both expired
		{0, "Bearer forged", 401, [2]int{4, 2}},
		{5 * time.Second, "Bearer forged", 401, [2]int{4, 2}}, // rejection cached for 10 s
		{6 * time.Second, "Bearer forged", 401, [2]int{5, 2}},
		{0, "Bearer stranger-token", 403, [2]int{6, 3}},
		{20 * time.Second, "Bearer stranger-token", 403, [2]int{6, 3}}, // denial cached for 30 s
		{11 * time.Second, "Bearer stranger-token", 403, [2]int{6, 4}},
	}
	for i, s := range steps {
		f.clock = f.clock.Add(s.advance)
		if code := f.get(s.auth); code != s.wantCode {
			t.Fatalf("step %d: code %d, want %d", i, code, s.wantCode)
		}
		if got := [2]int{f.tokens.calls, f.access.calls}; got != s.wantReviews {
			t.Fatalf("step %d: reviews %v, want %v", i, got, s.wantReviews)
		}
	}
}

func TestCacheIsBounded(t *testing.T) {
	c := newTTLCache[bool]()
	now := time.Now()
	for i := range maxCacheEntries + 10 {
		c.put(hash(string(rune(i))), true, now, time.Minute)
	}
	if n := len(c.entries); n > maxCacheEntries {
		t.Fatalf("%d entries, bound %d", n, maxCacheEntries)
	}
}
