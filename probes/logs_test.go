package probes

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// fakeLogs is a LogSource returning fixed lines and counting calls.
type fakeLogs struct {
	mu                  sync.Mutex
	lines               []railway.Log
	err                 error
	calls               int
	lastDep, lastFilter string
	lastLimit           int
}

var _ LogSource = (*fakeLogs)(nil)

func (f *fakeLogs) DeploymentLogs(_ context.Context, dep string, limit int, filter string) ([]railway.Log, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.lastDep, f.lastLimit, f.lastFilter = dep, limit, filter
	return f.lines, f.err
}

func (f *fakeLogs) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// logFixture is a log probe with a fake source and a hand-driven clock.
type logFixture struct {
	src     *fakeLogs
	now     time.Time
	probe   *LogProbe
	dep     railway.Deployment
	exp     spec.LogExpectation
	success time.Time
}

func newLogFixture(t *testing.T) *logFixture {
	created := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	f := &logFixture{
		src:     &fakeLogs{},
		dep:     railway.Deployment{ID: "dep-1", Status: railway.StatusSuccess, CreatedAt: created, StatusUpdatedAt: created.Add(time.Minute)},
		exp:     spec.LogExpectation{Service: "backend", Contains: "Redis pool connected", Within: 5 * time.Minute},
		success: created.Add(time.Minute),
	}
	f.now = f.success
	f.probe = NewLogProbe(LogOptions{Source: f.src, Now: func() time.Time { return f.now }, Logger: zaptest.NewLogger(t)})
	return f
}

func (f *logFixture) check(t *testing.T) Check {
	t.Helper()
	return f.probe.Check(t.Context(), f.exp, f.dep)
}

func (f *logFixture) line(at time.Time, msg string) {
	f.src.lines = append(f.src.lines, railway.Log{Timestamp: at, Message: msg, Severity: "info"})
}

func TestLogProbeMetAndCached(t *testing.T) {
	f := newLogFixture(t)
	f.line(f.success.Add(10*time.Second), "INFO Redis pool connected (10 conns)")
	f.now = f.success.Add(20 * time.Second)
	c := f.check(t)
	mustOK(t, c)
	if c.Name != "log/backend" || c.Kind != KindLog || c.Message != `"Redis pool connected" logged 10s after deployment success` {
		t.Errorf("check %+v", c)
	}
	if f.src.lastDep != "dep-1" || f.src.lastLimit != DefaultLogLimit || f.src.lastFilter != `"Redis pool connected"` {
		t.Errorf("read dep %q limit %d filter %q", f.src.lastDep, f.src.lastLimit, f.src.lastFilter)
	}
	f.now = f.now.Add(time.Hour)
	mustOK(t, f.check(t))
	if n := f.src.callCount(); n != 1 {
		t.Errorf("%d API calls, want 1: a met expectation is remembered", n)
	}
}

func TestLogProbeAcceptsLineLoggedWhileDeploying(t *testing.T) {
	f := newLogFixture(t)
	f.line(f.dep.CreatedAt.Add(-time.Second), "Redis pool connected") // before this deployment: ignored
	f.line(f.success.Add(-30*time.Second), "Redis pool connected")
	c := f.check(t)
	mustOK(t, c)
	if c.Message != `"Redis pool connected" logged 30s before deployment success` {
		t.Errorf("message %q", c.Message)
	}
}

func TestLogProbePendingIsRateLimited(t *testing.T) {
	f := newLogFixture(t)
	f.line(f.success.Add(10*time.Second), "something else")
	f.now = f.success.Add(time.Minute)
	c := f.check(t)
	if c.OK || !c.Pending || c.Failed() || c.Step != StepLogs || c.RedisProblem {
		t.Fatalf("want pending, got %+v", c)
	}
	f.now = f.now.Add(10 * time.Second)
	if c := f.check(t); !c.Pending {
		t.Fatalf("want still pending, got %+v", c)
	}
	if n := f.src.callCount(); n != 1 {
		t.Fatalf("%d calls within MinInterval, want 1", n)
	}
	f.now = f.now.Add(DefaultLogMinInterval)
	f.line(f.now.Add(-time.Second), "Redis pool connected")
	mustOK(t, f.check(t))
	if n := f.src.callCount(); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
}

func TestLogProbeFailsAfterWindow(t *testing.T) {
	f := newLogFixture(t)
	f.line(f.success.Add(6*time.Minute), "Redis pool connected") // too late
	f.now = f.success.Add(5*time.Minute - 10*time.Second)
	if c := f.check(t); !c.Pending {
		t.Fatalf("want pending before the window closes, got %+v", c)
	}
	// The window closes 11s later: the read is allowed at once, although
	// MinInterval has not passed, and settles the outcome.
	f.now = f.success.Add(5*time.Minute + time.Second)
	c := f.check(t)
	if !c.Failed() || c.Step != StepLogs || c.RedisProblem {
		t.Fatalf("want a failure, got %+v", c)
	}
	if want := `"Redis pool connected" not logged within 5m0s of deployment success`; c.Message != want {
		t.Errorf("message %q, want %q", c.Message, want)
	}
	f.now = f.now.Add(time.Hour)
	if c := f.check(t); !c.Failed() {
		t.Errorf("the failure must be remembered, got %+v", c)
	}
	if n := f.src.callCount(); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestLogProbeNewDeploymentStartsAfresh(t *testing.T) {
	f := newLogFixture(t)
	f.now = f.success.Add(time.Hour)
	if c := f.check(t); !c.Failed() {
		t.Fatalf("want failed, got %+v", c)
	}
	f.dep = railway.Deployment{ID: "dep-2", CreatedAt: f.now} // no StatusUpdatedAt: CreatedAt is the success time
	f.src.lines = nil
	f.line(f.now.Add(time.Second), "Redis pool connected")
	f.now = f.now.Add(2 * time.Second)
	mustOK(t, f.check(t))
}

func TestLogProbeReadErrorStaysPending(t *testing.T) {
	f := newLogFixture(t)
	f.src.err = errors.New("railway: 429 too many requests")
	f.now = f.success.Add(time.Hour) // even after the window: an error proves nothing
	c := f.check(t)
	if !c.Pending || c.Message != "could not read logs: railway: 429 too many requests" {
		t.Fatalf("got %+v", c)
	}
	f.src.err = nil
	f.now = f.now.Add(time.Second)
	if c := f.check(t); !c.Pending || f.src.callCount() != 1 {
		t.Fatalf("a retry must wait MinInterval: %+v, %d calls", c, f.src.callCount())
	}
	f.now = f.now.Add(DefaultLogMinInterval)
	if c := f.check(t); !c.Failed() {
		t.Fatalf("want failed once the read works, got %+v", c)
	}
}

func TestLogProbeNoDeployment(t *testing.T) {
	f := newLogFixture(t)
	c := f.probe.Check(t.Context(), f.exp, railway.Deployment{})
	if !c.Pending || f.src.callCount() != 0 {
		t.Errorf("got %+v after %d calls", c, f.src.callCount())
	}
}

func TestQuoteFilter(t *testing.T) {
	if got, want := quoteFilter(`say "hi" \o/`), `"say \"hi\" \\o/"`; got != want {
		t.Errorf("quoteFilter = %s, want %s", got, want)
	}
}
