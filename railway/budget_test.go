package railway_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

// TestBudgetHoldsUnderBurst: 100 calls with a budget of 60 per hour never put
// more than 60 requests in any hour, counted on the server with the fake
// clock's timestamps.
func TestBudgetHoldsUnderBurst(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(deploymentOK))
	srv.now = clock.Now
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) { o.MaxRequestsPerHour = 60 })
	start := clock.Now()
	for range 100 {
		if _, err := c.Deployment(t.Context(), "d1"); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.Requests()
	if len(reqs) != 100 {
		t.Fatalf("requests = %d, want 100", len(reqs))
	}
	for i := range reqs {
		n := 0
		for j := i; j < len(reqs) && reqs[j].At.Sub(reqs[i].At) < time.Hour; j++ {
			n++
		}
		if n > 60 {
			t.Fatalf("%d requests in the hour from request %d", n, i)
		}
	}
	// Burst 6, then 54 an hour: the 100th request goes out after ~1.74h.
	if took := clock.Now().Sub(start); took < 100*time.Minute || took > 110*time.Minute {
		t.Errorf("100 requests took %s of fake time, want about 104m", took)
	}
	if got := c.Stats().Requests; got != 100 {
		t.Errorf("Stats.Requests = %d", got)
	}
}

// TestBudgetExhaustedBeforeDeadline: when the next token comes after the
// deadline, the call fails at once without sending.
func TestBudgetExhaustedBeforeDeadline(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(deploymentOK))
	var results []string
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) {
		o.MaxRequestsPerHour = 60
		o.OnRequest = func(_, r string) { results = append(results, r) }
	})
	ctx, cancel := context.WithDeadline(t.Context(), clock.Now().Add(time.Minute))
	defer cancel()
	for range 6 { // the burst
		if _, err := c.Deployment(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Deployment(ctx, "d1")
	if !errors.Is(err, railway.ErrBudgetExhausted) || !railway.IsTransient(err) {
		t.Fatalf("err = %v, want ErrBudgetExhausted", err)
	}
	if len(srv.Requests()) != 6 || len(clock.Sleeps()) != 0 {
		t.Errorf("requests %d, sleeps %v: want 6 and none", len(srv.Requests()), clock.Sleeps())
	}
	if results[len(results)-1] != "budget" {
		t.Errorf("OnRequest results = %v, want the last to be budget", results)
	}
	// Without a deadline the call waits for the token (fake time) and succeeds.
	if _, err := c.Deployment(t.Context(), "d1"); err != nil {
		t.Fatal(err)
	}
	if s := clock.Sleeps(); len(s) != 1 || s[0] < time.Minute {
		t.Errorf("sleeps = %v, want one wait over a minute", s)
	}
}

// TestBudgetCountsRetries: every attempt takes a token.
func TestBudgetCountsRetries(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(reply{status: 502}))
	srv.now = clock.Now
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) { o.MaxRequestsPerHour = 10; o.MaxAttempts = 3 })
	for range 5 {
		_, _ = c.Deployment(t.Context(), "d1")
	}
	reqs := srv.Requests()
	if len(reqs) != 15 {
		t.Fatalf("requests = %d, want 15", len(reqs))
	}
	if span := reqs[10].At.Sub(reqs[0].At); span < time.Hour {
		t.Errorf("11 requests within %s, budget is 10 an hour", span)
	}
}
