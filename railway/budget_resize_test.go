package railway_test

import (
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

// busiestHour is the largest number of requests in reqs[from:] that, with
// the requests before them, fall within one hour ending at one of them.
func busiestHour(reqs []received, from int) (n, at int) {
	for i := from; i < len(reqs); i++ {
		k := 0
		for j := i; j >= 0 && reqs[i].At.Sub(reqs[j].At) < time.Hour; j-- {
			k++
		}
		if k > n {
			n, at = k, i
		}
	}
	return n, at
}

func sendN(t *testing.T, c *railway.Client, n int) {
	t.Helper()
	for range n {
		if _, err := c.Deployment(t.Context(), "d1"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSetMaxRequestsPerHourShrinkCountsSent: 300 requests under 1000/h,
// then the budget drops to 100: no later request goes out while the hour
// before it holds 100, counting the 300 already sent.
func TestSetMaxRequestsPerHourShrinkCountsSent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(deploymentOK))
	srv.now = clock.Now
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) { o.MaxRequestsPerHour = 1000 })
	sendN(t, c, 300)
	if err := c.SetMaxRequestsPerHour(100); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.MaxRequestsPerHour != 100 || s.RequestsLastHour != 300 {
		t.Fatalf("stats after the resize: budget %d, last hour %d; want 100 and 300", s.MaxRequestsPerHour, s.RequestsLastHour)
	}
	sendN(t, c, 150)
	reqs := srv.Requests()
	if n, at := busiestHour(reqs, 300); n > 100 {
		t.Fatalf("request %d had %d requests in the hour up to it, budget 100", at, n)
	}
	// The first request after the resize waits for the 200th to be an hour old.
	if got, want := reqs[300].At, reqs[200].At.Add(time.Hour); got.Before(want) {
		t.Errorf("first request after the resize at %s, want at least %s", got.Sub(reqs[0].At), want.Sub(reqs[0].At))
	}
}

// TestSetMaxRequestsPerHourRaiseRefundsNothing: with the 100/h bucket
// (burst 10) empty, raising the budget to 1000/h does not refill it: the
// next request still waits for a token, at the new rate.
func TestSetMaxRequestsPerHourRaiseRefundsNothing(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(deploymentOK))
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) { o.MaxRequestsPerHour = 100 })
	sendN(t, c, 10)
	if s := clock.Sleeps(); len(s) != 0 {
		t.Fatalf("the burst of 10 waited: %v", s)
	}
	if err := c.SetMaxRequestsPerHour(1000); err != nil {
		t.Fatal(err)
	}
	sendN(t, c, 1)
	// One token of 980 an hour: about 3.7 s.
	if s := clock.Sleeps(); len(s) != 1 || s[0] < 3*time.Second || s[0] > 5*time.Second {
		t.Errorf("sleeps = %v, want one wait of about 3.7s", s)
	}
}

// TestSetMaxRequestsPerHourFromNone: without a budget 150 requests go at
// once; a budget of 100 set then counts them.
func TestSetMaxRequestsPerHourFromNone(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(deploymentOK))
	srv.now = clock.Now
	c := newTestClient(t, srv.URL, clock, nil)
	sendN(t, c, 150)
	if len(clock.Sleeps()) != 0 {
		t.Fatal("requests waited without a budget")
	}
	if err := c.SetMaxRequestsPerHour(100); err != nil {
		t.Fatal(err)
	}
	sendN(t, c, 120)
	reqs := srv.Requests()
	if n, at := busiestHour(reqs, 150); n > 100 {
		t.Fatalf("request %d had %d requests in the hour up to it, budget 100", at, n)
	}
	if err := c.SetMaxRequestsPerHour(0); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.MaxRequestsPerHour != 0 {
		t.Errorf("budget = %d after SetMaxRequestsPerHour(0), want none", s.MaxRequestsPerHour)
	}
}

// TestSetMaxRequestsPerHourRailwayCaps: Railway's X-RateLimit-Limit still
// caps the budget whatever it is set to; a negative size is refused.
func TestSetMaxRequestsPerHourRailwayCaps(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(withLimits(100, 5000, "")))
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) { o.MaxRequestsPerHour = 1000 })
	sendN(t, c, 1)
	for _, tt := range []struct{ set, want int }{{1000, 100}, {50, 50}, {500, 100}, {0, 0}, {80, 80}} {
		if err := c.SetMaxRequestsPerHour(tt.set); err != nil {
			t.Fatal(err)
		}
		if got := c.Stats().MaxRequestsPerHour; got != tt.want {
			t.Errorf("SetMaxRequestsPerHour(%d): budget %d, want %d", tt.set, got, tt.want)
		}
	}
	err := c.SetMaxRequestsPerHour(-1)
	if err == nil || err.Error() != "railway: maxRequestsPerHour must not be negative, got -1" {
		t.Errorf("SetMaxRequestsPerHour(-1) = %v", err)
	}
}

// TestSharedBudgetConcurrent: units sharing a client call it concurrently
// while the budget is resized; the last hour never holds more than the
// largest size set (run under -race).
func TestSharedBudgetConcurrent(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(deploymentOK))
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) { o.MaxRequestsPerHour = 100 })
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if _, err := c.Deployment(t.Context(), "d1"); err != nil {
					t.Error(err)
					return
				}
				if n := c.Stats().RequestsLastHour; n > 100 {
					t.Errorf("%d requests in the last hour, budget at most 100", n)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			_ = c.SetMaxRequestsPerHour(50 + 50*(i%2))
		}
	})
	wg.Wait()
	if got := len(srv.Requests()); got != 160 {
		t.Errorf("requests = %d, want 160", got)
	}
}
