package railway_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

// withLimits is deploymentOK with X-RateLimit-* headers.
func withLimits(limit, remaining int, reset string) reply {
	r := deploymentOK
	r.header = map[string]string{"X-RateLimit-Limit": strconv.Itoa(limit), "X-RateLimit-Remaining": strconv.Itoa(remaining)}
	if reset != "" {
		r.header["X-RateLimit-Reset"] = reset
	}
	return r
}

// TestRateLimitResetFormats: X-RateLimit-Reset is read as epoch seconds,
// epoch milliseconds or RFC 3339; garbage is ignored.
func TestRateLimitResetFormats(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	at := clock.Now().Add(37 * time.Minute).Truncate(time.Second)
	for _, tt := range []struct {
		name, value string
		want        time.Time
	}{
		{"epoch seconds", strconv.FormatInt(at.Unix(), 10), at},
		{"epoch milliseconds", strconv.FormatInt(at.UnixMilli(), 10), at},
		{"RFC 3339", at.UTC().Format(time.RFC3339), at},
		{"RFC 3339 with an offset", at.In(time.FixedZone("x", -5*3600)).Format(time.RFC3339), at},
		{"garbage", "soon", time.Time{}},
		{"negative", "-5", time.Time{}},
		{"number in neither range", "5000000", time.Time{}},
		{"too many digits", "99999999999999999999", time.Time{}},
		{"float", "1.8e9", time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, sequence(withLimits(1000, 900, tt.value)))
			c := newTestClient(t, srv.URL, clock, nil)
			if _, err := c.Deployment(t.Context(), "d1"); err != nil {
				t.Fatal(err)
			}
			s := c.Stats()
			if !s.RateLimitReset.Equal(tt.want) {
				t.Errorf("reset = %v, want %v", s.RateLimitReset, tt.want)
			}
			if !s.RateLimitKnown || s.RateLimitRemaining != 900 || s.RateLimitLimit != 1000 {
				t.Errorf("stats = %+v: an unreadable reset must not lose the other headers", s)
			}
		})
	}
}

// TestBudgetReserve: with Limit 100, once Remaining is at or below 10
// (ceil(10%)), non-essential calls fail fast with a *ReserveError, without a
// request, until Reset; mutations and calls marked Essential still go.
func TestBudgetReserve(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	reset := clock.Now().Add(20 * time.Minute)
	remaining := 12
	srv := newFakeServer(t, func(_ int, b gqlBody) reply {
		remaining--
		if b.OperationName == railway.OpDeployService {
			r := answer(map[string]any{"serviceInstanceDeployV2": "dep-1"})
			r.header = withLimits(100, remaining, strconv.FormatInt(reset.Unix(), 10)).header
			return r
		}
		return withLimits(100, remaining, strconv.FormatInt(reset.Unix(), 10))
	})
	var results []string
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) {
		o.OnRequest = func(_, r string) { results = append(results, r) }
	})
	ctx := t.Context()
	for range 2 { // Remaining 11, then 10
		if _, err := c.Deployment(ctx, "d1"); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Stats(); !s.Reserved || s.Reserve != 10 || s.RateLimitRemaining != 10 {
		t.Fatalf("stats = %+v, want the reserve in force", s)
	}
	_, err := c.Deployment(ctx, "d1")
	var re *railway.ReserveError
	if !errors.As(err, &re) || !errors.Is(err, railway.ErrBudgetExhausted) || !railway.IsTransient(err) || re.Remaining != 10 || re.Limit != 100 {
		t.Fatalf("err = %v, want a transient *ReserveError", err)
	}
	if n := len(srv.Requests()); n != 2 || results[len(results)-1] != "budget" {
		t.Fatalf("requests = %d, results %v: the refused call must not be sent", n, results)
	}
	if _, err := c.Deployment(railway.Essential(ctx), "d1"); err != nil {
		t.Errorf("essential read: %v", err)
	}
	if _, err := c.DeployService(ctx, "e1", "s1"); err != nil {
		t.Errorf("mutation: %v", err)
	}
	clock.Advance(20 * time.Minute) // Reset passes
	if _, err := c.Deployment(ctx, "d1"); err != nil {
		t.Errorf("after Reset: %v", err)
	}
	if n := len(srv.Requests()); n != 5 {
		t.Errorf("requests = %d, want 5", n)
	}
}

// TestBudgetFollowsRailwayLimit: with maxRequestsPerHour 500 and Railway
// reporting a limit of 100, no hour sees more than 100 requests.
func TestBudgetFollowsRailwayLimit(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	srv := newFakeServer(t, sequence(withLimits(100, 100000, "")))
	srv.now = clock.Now
	c := newTestClient(t, srv.URL, clock, func(o *railway.Options) { o.MaxRequestsPerHour = 500 })
	for range 250 {
		if _, err := c.Deployment(t.Context(), "d1"); err != nil {
			t.Fatal(err)
		}
	}
	reqs := srv.Requests()
	for i := range reqs {
		n := 0
		for j := i; j < len(reqs) && reqs[j].At.Sub(reqs[i].At) < time.Hour; j++ {
			n++
		}
		// The first request came before the limit was known: one extra.
		if n > 101 {
			t.Fatalf("%d requests in the hour from request %d, Railway's limit is 100", n, i)
		}
	}
}
