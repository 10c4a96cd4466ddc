package railwaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"
)

// fakeClock is an injectable clock for deterministic deployment and workflow
// progress.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cred is one authentication header ("" header: none).
type cred struct{ header, value string }

func bearer(tok string) cred     { return cred{"Authorization", "Bearer " + tok} }
func projectTok(tok string) cred { return cred{"Project-Access-Token", tok} }
func anonymous() cred            { return cred{} }

const adminToken = "admin-token-0123456789"

// result is one decoded answer.
type result struct {
	Status int
	Header http.Header
	Body   []byte
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	}
}

// gql posts a GraphQL document and decodes the answer (Data and Errors only
// when the body is JSON).
func gql(t *testing.T, s *Server, c cred, query string, vars map[string]any) result {
	t.Helper()
	r, err := tryGQL(t.Context(), s, c, query, vars)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tryGQL is gql for goroutines other than the test's.
func tryGQL(ctx context.Context, s *Server, c cred, query string, vars map[string]any) (result, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL(), bytes.NewReader(body))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "reconciler/test")
	if c.header != "" {
		req.Header.Set(c.header, c.value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return result{}, err
	}
	r := result{Status: resp.StatusCode, Header: resp.Header, Body: buf.Bytes()}
	_ = json.Unmarshal(r.Body, &r) // non-JSON bodies (HTML 403, plain 500) leave Data nil
	return r, nil
}

// ok fails the test unless the answer is a 200 without errors.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("status %d, body %s", r.Status, r.Body)
	}
	return r
}

// errMessage returns the first error's message ("" when none).
func (r result) errMessage() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Message
}

// get walks the answer's data by keys (strings for objects, ints for lists).
func (r result) get(path ...any) any {
	var cur any = r.Data
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := cur.(map[string]any)
			cur = m[k]
		case int:
			l, _ := cur.([]any)
			if k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

// str is get as a string.
func (r result) str(path ...any) string {
	s, _ := r.get(path...).(string)
	return s
}

// world is a seeded project: production environment, a backend service and
// an all-projects Bearer token.
type world struct {
	s         *Server
	clock     *fakeClock
	projectID string
	envID     string
	backendID string
}

// newWorld starts a validating simulator (NewT) seeded with a project.
func newWorld(t *testing.T, opts Options) *world {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	s := NewT(t, opts)
	pid, eid := s.CreateProject("smartlic")
	w := &world{s: s, clock: c, projectID: pid, envID: eid}
	w.backendID = s.AddService(pid, "backend", "ghcr.io/smartlic/backend:latest")
	s.AddToken(adminToken, BearerToken, "", "")
	return w
}

// requireSchema skips a test that needs Railway's schema when it is absent
// (failing instead under CI=true).
func requireSchema(t *testing.T) {
	t.Helper()
	if _, err := FindSchema(); err != nil {
		if os.Getenv("CI") == "true" || !errors.Is(err, errNoSchema) {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// newRaw starts a simulator with New (invalid requests do not fail the test).
func newRaw(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
