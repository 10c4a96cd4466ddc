package railway_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// edge1015 is Cloudflare's edge block as Railway's users report it.
var edge1015 = reply{status: http.StatusTooManyRequests, header: map[string]string{"Content-Type": "text/plain"}, body: "error code: 1015"}

// TestEdgeBlockAtMostFourRequests: during a 60 s edge block (the
// simulator's, on the injected clock) a client called every second, reads
// and a due rollback write alike, sends at most 4 requests; the others fail
// at once with *EdgeBlockedError, without touching the network; after the
// block the next call succeeds and clears it.
func TestEdgeBlockAtMostFourRequests(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	start := w.clock.Now()
	w.sim.BlockAtEdge(time.Minute)
	var refused, sentBlocked int
	for i := 0; w.clock.Now().Before(start.Add(time.Minute)); i++ {
		var err error
		if i%10 == 5 { // a rollback write falls due now and then
			err = w.c.UpsertVariables(t.Context(), w.projectID, w.envID, w.backendID, map[string]string{"REDIS_URL": ""})
		} else {
			_, err = w.c.Observe(t.Context(), w.projectID, w.envID, nil)
		}
		var eb *railway.EdgeBlockedError
		switch {
		case !errors.As(err, &eb):
			t.Fatalf("call %d at +%s: err = %v, want *EdgeBlockedError", i, w.clock.Now().Sub(start), err)
		case !railway.IsTransient(err) || railway.IsPermanent(err):
			t.Fatalf("an edge block must be transient: %v", err)
		case eb.Sent:
			sentBlocked++
		default:
			refused++
		}
		w.clock.Advance(time.Second)
	}
	if n := w.sim.RequestCount(); n > 4 {
		t.Fatalf("%d requests reached Railway during a 60 s edge block, want at most 4", n)
	}
	if sentBlocked != 1 || refused < 50 {
		t.Errorf("blocked answers %d, refused calls %d", sentBlocked, refused)
	}
	if s := w.c.Stats(); s.BlockedUntil.IsZero() || s.EdgeBlocks != 1 || s.EdgeInterval != railway.EdgeMinBackoff {
		t.Errorf("stats during the block = %+v", s)
	}
	if _, err := w.c.Observe(t.Context(), w.projectID, w.envID, nil); err != nil {
		t.Fatalf("first call after the block: %v", err)
	}
	if s := w.c.Stats(); !s.BlockedUntil.IsZero() || s.EdgeInterval != 0 || s.EdgeBlocks != 1 {
		t.Errorf("stats after the block = %+v", s)
	}
	if vars := w.sim.Variables(w.envID, w.backendID); vars["REDIS_URL"] == "" {
		t.Error("a refused write reached Railway")
	}
}

// TestEdgeBackoffDoubles: a 429 without Retry-After backs off 60 s, then
// 120 s, 240 s ... capped at 1 h, one attempt per interval, one warn line
// per step and none per refused call.
func TestEdgeBackoffDoubles(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(edge1015))
	srv.now = clock.Now
	core, logs := observer.New(zap.InfoLevel)
	var results []string
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) {
		o.Logger = zap.New(core)
		o.OnRequest = func(_, r string) { results = append(results, r) }
	})
	start := clock.Now()
	for clock.Now().Before(start.Add(5 * time.Hour)) {
		_, _ = c.Deployment(t.Context(), "d1")
		clock.Advance(10 * time.Second)
	}
	reqs := srv.Requests()
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	if len(reqs) < len(want)+1 {
		t.Fatalf("%d requests in 5h, want at least %d", len(reqs), len(want)+1)
	}
	for i, min := range want {
		gap := reqs[i+1].At.Sub(reqs[i].At)
		if gap < min || gap > min+10*time.Second {
			t.Errorf("gap %d = %s, want %s (+ at most one 10 s tick)", i, gap, min)
		}
	}
	steps := logs.FilterMessageSnippet("edge is blocking").Len()
	if steps != len(reqs) || logs.Len() != steps {
		t.Errorf("%d warn lines for %d blocked answers (%d lines in all), want one per step", steps, len(reqs), logs.Len())
	}
	edgeBlocked := 0
	for _, r := range results {
		if r == "edge_blocked" {
			edgeBlocked++
		}
	}
	if edgeBlocked+len(reqs) != len(results) || edgeBlocked == 0 {
		t.Errorf("OnRequest saw %d edge_blocked of %d", edgeBlocked, len(results))
	}
	if s := c.Stats(); s.EdgeInterval != railway.EdgeMaxBackoff || s.EdgeBlocks != int64(len(reqs)) {
		t.Errorf("stats = %+v", s)
	}
}

// TestRetryAfter429KeepsItsHandling: a 429 with Retry-After is waited out
// and retried within the call, and starts no edge block.
func TestRetryAfter429KeepsItsHandling(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(reply{status: 429, header: map[string]string{"Retry-After": "3"}}, deploymentOK))
	c := newTestClient(t, srv.URL, clock, nil)
	if _, err := c.Deployment(t.Context(), "d1"); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); len(s) != 1 || s[0] < 3*time.Second {
		t.Errorf("sleeps = %v", s)
	}
	if s := c.Stats(); !s.BlockedUntil.IsZero() || s.EdgeBlocks != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// TestEdgeProbeIsOnePerInterval: when the interval ends, concurrent calls
// send one probe between them; the others are refused.
func TestEdgeProbeIsOnePerInterval(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	release := make(chan struct{})
	srv := newFakeServer(t, func(n int, _ gqlBody) reply {
		if n == 0 {
			return edge1015
		}
		<-release // the probe hangs until every other call was refused
		return deploymentOK
	})
	c := newTestClient(t, srv.URL, clock, nil)
	if _, err := c.Deployment(t.Context(), "d1"); err == nil {
		t.Fatal("want the edge block")
	}
	clock.Advance(railway.EdgeMinBackoff)
	probe := make(chan error, 1)
	go func() { _, err := c.Deployment(context.Background(), "d1"); probe <- err }()
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.Requests()) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for range 5 {
		var eb *railway.EdgeBlockedError
		if _, err := c.Deployment(t.Context(), "d1"); !errors.As(err, &eb) || eb.Sent {
			t.Errorf("concurrent call during the probe: %v, want refused", err)
		}
	}
	close(release)
	if err := <-probe; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("requests = %d, want 2 (the block and one probe)", n)
	}
	if _, err := c.Deployment(t.Context(), "d1"); err != nil {
		t.Errorf("after the probe succeeded: %v", err)
	}
}
