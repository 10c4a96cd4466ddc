package railway_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

const cloudflarePage = `<!DOCTYPE html><html><head><title>Access denied | backboard.railway.com used Cloudflare to restrict access</title></head>
<body><div class="cf-error-details"><h1>Access denied</h1><p>The owner of this website (backboard.railway.com) has banned your IP address</p>
<p>Cloudflare Ray ID: 8f0c1a2b3c4d5e6f</p></div></body></html>`

var deploymentOK = answer(map[string]any{"deployment": map[string]any{
	"id": "d1", "serviceId": "s1", "status": "SUCCESS", "createdAt": "2026-11-25T10:00:00Z", "statusUpdatedAt": nil,
}})

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		replies   []reply
		wantErr   bool
		wantIs    error
		wantAs    func(error) bool
		permanent bool
		transient bool
		requests  int
		minSleep  time.Duration // first wait at least this long
		notInErr  []string
	}{
		{name: "ok", replies: []reply{deploymentOK}, requests: 1},
		{
			name: "not authorized", replies: []reply{gqlErrors(nil, "Not Authorized")},
			wantErr: true, wantIs: railway.ErrUnauthorized, permanent: true, requests: 1,
		},
		{
			name: "project token not found", replies: []reply{gqlErrors(nil, "Project Token not found")},
			wantErr: true, wantIs: railway.ErrUnauthorized, permanent: true, requests: 1,
		},
		{
			name: "project not found", replies: []reply{gqlErrors(nil, "Project not found")},
			wantErr: true, wantIs: railway.ErrNotFound, permanent: true, requests: 1,
		},
		{
			name: "service not found", replies: []reply{gqlErrors(nil, "Service not found")},
			wantErr: true, wantIs: railway.ErrNotFound, permanent: true, requests: 1,
		},
		{
			name: "other graphql error", replies: []reply{gqlErrors(nil, "Something odd")},
			wantErr: true, wantAs: isGraphQLError, permanent: true, requests: 1,
		},
		{
			name: "partial data with errors",
			replies: []reply{gqlErrors(map[string]any{"deployment": map[string]any{"id": "d1", "status": "SUCCESS", "createdAt": "2026-11-25T10:00:00Z"}},
				"Problem processing request")},
			wantErr: true, wantAs: isGraphQLError, permanent: true, requests: 1,
		},
		{
			name:     "429 with Retry-After 2 then success",
			replies:  []reply{{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "2"}, body: "rate limited"}, deploymentOK},
			requests: 2, minSleep: 2 * time.Second,
		},
		{
			name:    "429 every time",
			replies: []reply{{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "2"}, body: `{"errors":[{"message":"Too many"}]}`}},
			wantErr: true, wantAs: isRateLimited, transient: true, requests: 5, minSleep: 2 * time.Second,
		},
		{
			name: "500 every time", replies: []reply{{status: 500, body: "internal error"}},
			wantErr: true, wantAs: isTransient, transient: true, requests: 5, notInErr: []string{"internal error"},
		},
		{
			name: "500 with a graphql body", replies: []reply{{status: 500, body: `{"errors":[{"message":"Internal server error"}]}`}},
			wantErr: true, wantAs: isTransient, transient: true, requests: 5,
		},
		{name: "502 then success", replies: []reply{{status: 502, body: "bad gateway"}, deploymentOK}, requests: 2},
		{
			name:    "html 403 from cloudflare",
			replies: []reply{{status: 403, header: map[string]string{"Content-Type": "text/html; charset=UTF-8"}, body: cloudflarePage}},
			wantErr: true, wantAs: isTransient, transient: true, requests: 5,
			notInErr: []string{"<html", "Access denied", "Ray ID", "banned"},
		},
		{
			name: "body not json", replies: []reply{{status: 200, header: map[string]string{"Content-Type": "text/plain"}, body: "hello"}},
			wantErr: true, wantAs: isTransient, transient: true, requests: 5, notInErr: []string{"hello"},
		},
		{
			name: "json that is not graphql", replies: []reply{{status: 200, body: `{"hello":"world"}`}},
			wantErr: true, wantAs: isTransient, transient: true, requests: 5,
		},
		{
			name: "no data and no errors", replies: []reply{{status: 200, body: `{"data":null}`}},
			wantErr: true, wantAs: isTransient, transient: true, requests: 5,
		},
		{
			name: "401 html", replies: []reply{{status: 401, header: map[string]string{"Content-Type": "text/html"}, body: "<html>no</html>"}},
			wantErr: true, wantIs: railway.ErrUnauthorized, permanent: true, requests: 1,
		},
		{
			name: "401 json", replies: []reply{{status: 401, body: `{"errors":[{"message":"Unauthorized"}]}`}},
			wantErr: true, wantIs: railway.ErrUnauthorized, permanent: true, requests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer(t, sequence(tt.replies...))
			clock := newFakeClock()
			c := newTestClient(t, srv.URL, clock, nil)
			d, err := c.Deployment(t.Context(), "d1")
			checkClassified(t, err, tt.wantErr, tt.wantIs, tt.wantAs, tt.permanent, tt.transient)
			if err == nil && (d == nil || d.ID != "d1" || d.Status != railway.StatusSuccess) {
				t.Errorf("deployment = %+v", d)
			}
			if got := len(srv.Requests()); got != tt.requests {
				t.Errorf("requests = %d, want %d", got, tt.requests)
			}
			if sleeps := clock.Sleeps(); tt.minSleep > 0 && (len(sleeps) == 0 || sleeps[0] < tt.minSleep) {
				t.Errorf("sleeps = %v, want a first wait >= %s", sleeps, tt.minSleep)
			}
			for _, s := range tt.notInErr {
				if err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains %q", err, s)
				}
			}
		})
	}
}

func checkClassified(t *testing.T, err error, wantErr bool, is error, as func(error) bool, permanent, transient bool) {
	t.Helper()
	if (err != nil) != wantErr {
		t.Fatalf("err = %v, want error: %v", err, wantErr)
	}
	if err == nil {
		return
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("err = %v, want errors.Is %v", err, is)
	}
	if as != nil && !as(err) {
		t.Errorf("err = %v (%T) is not of the expected type", err, err)
	}
	if railway.IsPermanent(err) != permanent {
		t.Errorf("IsPermanent(%v) = %v, want %v", err, !permanent, permanent)
	}
	if railway.IsTransient(err) != transient {
		t.Errorf("IsTransient(%v) = %v, want %v", err, !transient, transient)
	}
}

func isGraphQLError(err error) bool {
	var e *railway.GraphQLError
	return errors.As(err, &e) && len(e.Messages) > 0
}

func isRateLimited(err error) bool {
	var e *railway.RateLimitedError
	return errors.As(err, &e) && e.RetryAfter == 2*time.Second
}

func isTransient(err error) bool {
	var e *railway.TransientError
	return errors.As(err, &e)
}

// TestRetryAfterHTTPDate: an HTTP-date Retry-After is honoured relative to the
// injected clock.
func TestRetryAfterHTTPDate(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	at := clock.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat)
	srv := newFakeServer(t, sequence(reply{status: 429, header: map[string]string{"Retry-After": at}}, deploymentOK))
	c := newTestClient(t, srv.URL, clock, nil)
	if _, err := c.Deployment(t.Context(), "d1"); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); len(s) != 1 || s[0] < 8*time.Second {
		t.Errorf("sleeps = %v, want one wait of about 10s", s)
	}
}

// TestRetryAfterBeyondDeadline: a 429 whose wait would pass the deadline is
// returned at once rather than slept through.
func TestRetryAfterBeyondDeadline(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(reply{status: 429, header: map[string]string{"Retry-After": "3600"}}))
	c := newTestClient(t, srv.URL, clock, nil)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := c.Deployment(ctx, "d1")
	var rl *railway.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Hour {
		t.Fatalf("err = %v, want RateLimitedError{1h}", err)
	}
	if len(clock.Sleeps()) != 0 || len(srv.Requests()) != 1 {
		t.Errorf("sleeps %v, requests %d: want none and 1", clock.Sleeps(), len(srv.Requests()))
	}
}

// TestTimeout: a server that does not answer in time is a transient error,
// both through the HTTP client's timeout and through the ctx deadline.
func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := newFakeServer(t, func(int, gqlBody) reply {
		<-release
		return deploymentOK
	})
	t.Cleanup(func() { close(release) }) // registered after the server: runs before its Close
	t.Run("http client timeout", func(t *testing.T) {
		c := newTestClient(t, srv.URL, newFakeClock(), func(o *railway.Options) {
			o.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
			o.MaxAttempts = 2
		})
		_, err := c.Deployment(t.Context(), "d1")
		checkClassified(t, err, true, nil, isTransient, false, true)
	})
	t.Run("ctx deadline", func(t *testing.T) {
		c := newTestClient(t, srv.URL, newFakeClock(), nil)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Deployment(ctx, "d1")
		checkClassified(t, err, true, context.DeadlineExceeded, isTransient, false, true)
	})
}

// TestConnectionRefused: a closed server is transient and retried.
func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(deploymentOK))
	url := srv.URL
	srv.Close()
	var results []string
	c := newTestClient(t, url, newFakeClock(), func(o *railway.Options) {
		o.OnRequest = func(op, result string) { results = append(results, op+":"+result) }
	})
	_, err := c.Deployment(t.Context(), "d1")
	checkClassified(t, err, true, nil, isTransient, false, true)
	if len(results) != 5 || results[0] != "Deployment:transient" {
		t.Errorf("OnRequest calls = %v, want 5 Deployment:transient", results)
	}
}

// TestOnRequestResults: the metrics hook sees one call per HTTP request with
// its classified result.
func TestOnRequestResults(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(
		reply{status: 502, body: "x"},
		reply{status: 429, header: map[string]string{"Retry-After": "1"}},
		deploymentOK,
		gqlErrors(nil, "Deployment not found"),
		gqlErrors(nil, "Not Authorized"),
		gqlErrors(nil, "boom"),
	))
	var got []string
	c := newTestClient(t, srv.URL, newFakeClock(), func(o *railway.Options) {
		o.OnRequest = func(op, result string) { got = append(got, result) }
	})
	for range 4 {
		_, _ = c.Deployment(t.Context(), "d1")
	}
	want := "transient rate_limited ok not_found unauthorized graphql_error"
	if strings.Join(got, " ") != want {
		t.Errorf("results = %v, want %s", got, want)
	}
}
