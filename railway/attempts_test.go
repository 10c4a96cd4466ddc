package railway_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// TestLogAttempts: interactive commands (LogAttempts) log every attempt at
// warn, "attempt N/M, next in D: <error>" and "attempt M/M, giving up:
// <error>", without the token; the controller's default logs only changes.
func TestLogAttempts(t *testing.T) {
	t.Parallel()
	for _, interactive := range []bool{true, false} {
		srv := newFakeServer(t, sequence(reply{status: 503, body: "down " + testToken}))
		core, logs := observer.New(zap.WarnLevel)
		c := newTestClient(t, srv.URL, newFakeClock(), func(o *railway.Options) {
			o.Logger = zap.New(core)
			o.LogAttempts = interactive
		})
		if _, err := c.Deployment(t.Context(), "d1"); err == nil {
			t.Fatal("want an error")
		}
		var msgs []string
		for _, e := range logs.All() {
			if e.Level != zapcore.WarnLevel {
				t.Errorf("level %s", e.Level)
			}
			msgs = append(msgs, e.Message)
			if strings.Contains(e.Message, testToken) {
				t.Errorf("token in %q", e.Message)
			}
		}
		if !interactive {
			if len(msgs) != 1 {
				t.Errorf("quiet mode logged %d lines, want 1: %q", len(msgs), msgs)
			}
			continue
		}
		if len(msgs) != 5 {
			t.Fatalf("logged %q, want 5 lines", msgs)
		}
		const cause = "railway Deployment: HTTP 503: non-JSON response: application/json, 24 bytes"
		for i, m := range msgs[:4] {
			re := regexp.MustCompile(fmt.Sprintf(`^attempt %d/5, next in \d+(ms|s): %s$`, i+1, regexp.QuoteMeta(cause)))
			if !re.MatchString(m) {
				t.Errorf("line %d = %q", i, m)
			}
		}
		if msgs[4] != "attempt 5/5, giving up: "+cause {
			t.Errorf("last line = %q", msgs[4])
		}
	}
}

// TestAttemptTimeouts: a query attempt is bounded by QueryTimeout, a
// mutation's by MutationTimeout (default at least 90 s), and the whole call
// by the caller's context.
func TestAttemptTimeouts(t *testing.T) {
	t.Parallel()
	if railway.DefaultMutationTimeout < 90*time.Second {
		t.Fatalf("DefaultMutationTimeout = %s, want at least 90s", railway.DefaultMutationTimeout)
	}
	release := make(chan struct{})
	srv := newFakeServer(t, func(_ int, b gqlBody) reply {
		select {
		case <-release:
		case <-time.After(300 * time.Millisecond):
		}
		if b.OperationName == railway.OpDeployService {
			return answer(map[string]any{"serviceInstanceDeployV2": "dep-1"})
		}
		return deploymentOK
	})
	t.Cleanup(func() { close(release) })
	c := newTestClient(t, srv.URL, newFakeClock(), func(o *railway.Options) {
		o.QueryTimeout, o.MutationTimeout, o.MaxAttempts = 50*time.Millisecond, 30*time.Second, 1
	})
	_, err := c.Deployment(t.Context(), "d1")
	if !errors.Is(err, context.DeadlineExceeded) || !railway.IsTransient(err) || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("query: %v, want the attempt timeout", err)
	}
	if _, err := c.DeployService(t.Context(), "e1", "s1"); err != nil {
		t.Errorf("mutation slower than the query timeout: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.DeployService(ctx, "e1", "s1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("mutation past the caller's deadline: %v", err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Errorf("the caller's deadline did not bound the call: %s", d)
	}
}

// TestInstanceAttribution: Options.Instance goes into the User-Agent and
// X-Reconciler-Instance, and the simulator counts mutations per replica.
func TestInstanceAttribution(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	replica := func(id string) *railway.Client {
		return newTestClient(t, w.sim.URL(), w.clock, func(o *railway.Options) {
			o.Credentials = railway.NewCredentials(railway.BearerToken, "", simToken)
			o.Instance = id
		})
	}
	a, b := replica("pod-a"), replica("pod-b")
	for range 2 {
		if _, err := a.DeployService(t.Context(), w.envID, w.backendID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Observe(t.Context(), w.projectID, w.envID, nil); err != nil {
		t.Fatal(err)
	}
	if got := w.sim.MutationsByInstance(); got["pod-a"] != 2 || got["pod-b"] != 0 {
		t.Errorf("mutations by instance = %v", got)
	}
	if got := w.sim.RequestsByInstance(); got["pod-b"] != 1 {
		t.Errorf("requests by instance = %v", got)
	}
	if ua := w.sim.Requests()[0].UserAgent; ua != "reconciler/test (instance pod-a)" {
		t.Errorf("User-Agent = %q", ua)
	}
	for _, bad := range []string{"two words", "a\nb", "x(y)", strings.Repeat("a", 129)} {
		_, err := railway.New(railway.Options{Credentials: railway.NewCredentials(railway.BearerToken, "", "t"), Instance: bad})
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("instance %q: err = %v, want a one-line error", bad, err)
		}
	}
}

// TestPermanentErrorsTyped: what the reconciler backs off from is typed
// and permanent; what goes away by itself is transient.
func TestPermanentErrorsTyped(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		msg    string
		is     error
		status int
	}{
		{"Not Authorized", railway.ErrUnauthorized, 200},
		{"Project not found", railway.ErrNotFound, 200},
		{"Environment not found", railway.ErrNotFound, 200},
		{"Project Token not found", railway.ErrUnauthorized, 200},
		{"Two Factor Authentication Required", railway.ErrUnauthorized, 200},
	} {
		srv := newFakeServer(t, sequence(gqlErrors(nil, tt.msg)))
		c := newTestClient(t, srv.URL, newFakeClock(), nil)
		_, err := c.Observe(t.Context(), "p", "e", nil)
		if !errors.Is(err, tt.is) || !railway.IsPermanent(err) || railway.IsTransient(err) || len(srv.Requests()) != 1 {
			t.Errorf("%q: err = %v, %d requests; want permanent %v after 1", tt.msg, err, len(srv.Requests()), tt.is)
		}
	}
	for _, err := range []error{railway.ErrTokenScope, railway.ErrProjectTokenCannotCreate} {
		if !railway.IsPermanent(err) || railway.IsTransient(err) {
			t.Errorf("%v must be permanent", err)
		}
	}
	for _, err := range []error{&railway.EdgeBlockedError{Op: "x"}, &railway.ReserveError{Op: "x"}} {
		if railway.IsPermanent(err) || !railway.IsTransient(err) {
			t.Errorf("%v must be transient", err)
		}
	}
}
