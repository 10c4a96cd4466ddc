package railway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/railway"
)

const testToken = "tok-test-0123456789"

// fakeClock is an injected clock whose Sleep records the wait and advances
// time at once.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	// Anchored on the wall clock so that context deadlines compare sensibly.
	return &fakeClock{t: time.Now()}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sleeps = append(f.sleeps, d)
	f.t = f.t.Add(d)
	return nil
}

// Advance moves the clock forward by d.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

func (f *fakeClock) Sleeps() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// gqlBody is a received GraphQL request.
type gqlBody struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// received is one request as the fake server saw it.
type received struct {
	Header http.Header
	Body   gqlBody
	At     time.Time
}

// reply is a canned answer.
type reply struct {
	status int
	header map[string]string
	body   string
}

// answer builds a 200 reply with {"data": data}.
func answer(data any) reply {
	raw, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		panic(err)
	}
	return reply{status: http.StatusOK, body: string(raw)}
}

// gqlErrors builds a 200 reply with GraphQL errors and the given data.
func gqlErrors(data any, msgs ...string) reply {
	errs := make([]map[string]any, 0, len(msgs))
	for _, m := range msgs {
		errs = append(errs, map[string]any{"message": m})
	}
	raw, err := json.Marshal(map[string]any{"data": data, "errors": errs})
	if err != nil {
		panic(err)
	}
	return reply{status: http.StatusOK, body: string(raw)}
}

// fakeServer answers each request with handle(n, body), n counting from 0.
type fakeServer struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []received
	now    func() time.Time
	handle func(n int, b gqlBody) reply
}

func newFakeServer(t testing.TB, handle func(n int, b gqlBody) reply) *fakeServer {
	t.Helper()
	fs := &fakeServer{handle: handle, now: time.Now}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var b gqlBody
	if err := json.Unmarshal(raw, &b); err != nil {
		http.Error(w, "bad request body", http.StatusBadRequest)
		return
	}
	fs.mu.Lock()
	n := len(fs.reqs)
	fs.reqs = append(fs.reqs, received{Header: r.Header.Clone(), Body: b, At: fs.now()})
	fs.mu.Unlock()
	rep := fs.handle(n, b)
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func (fs *fakeServer) Requests() []received {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]received(nil), fs.reqs...)
}

// sequence answers the n-th request with replies[n], repeating the last.
func sequence(replies ...reply) func(int, gqlBody) reply {
	return func(n int, _ gqlBody) reply {
		return replies[min(n, len(replies)-1)]
	}
}

// byOperation answers by operation name; unknown operations get a GraphQL
// error.
func byOperation(routes map[string]func(vars map[string]any) reply) func(int, gqlBody) reply {
	return func(_ int, b gqlBody) reply {
		if h, ok := routes[b.OperationName]; ok {
			return h(b.Variables)
		}
		return gqlErrors(nil, fmt.Sprintf("unexpected operation %s", b.OperationName))
	}
}

// newTestClient builds a client for url with a fake clock and a Bearer token;
// edit tweaks the options.
func newTestClient(t testing.TB, url string, clock *fakeClock, edit func(*railway.Options)) *railway.Client {
	t.Helper()
	opts := railway.Options{
		Endpoint:    url,
		Credentials: railway.NewCredentials(railway.BearerToken, "", testToken),
		Version:     "test",
		Logger:      zaptest.NewLogger(t),
		Now:         clock.Now,
		Sleep:       clock.Sleep,
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := railway.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
