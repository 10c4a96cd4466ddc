package railwaytest

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/smartlic/reconciler/internal/clock"
)

// Faults makes a share of requests fail the ways Railway's edge does. Shares
// are 0..1 and drawn from a generator seeded with Seed, so a sequence of
// requests meets the same faults on every run. A faulted request is not
// executed, except under AfterExecute500.
type Faults struct {
	Error500     float64 // answered 500 with a plain-text body
	RateLimit429 float64 // answered 429 with Retry-After
	HTML403      float64 // answered 403 with Cloudflare's HTML "Access denied" page
	// AfterExecute500 is the share of mutation requests that are executed
	// and then answered 500: an ambiguous failure.
	AfterExecute500 float64
	// RetryAfter is the Retry-After sent with an injected 429 (whole
	// seconds, at least 1). Default 1s.
	RetryAfter time.Duration
	// Latency delays every answer (slow responses); a client that gives up
	// ends the wait.
	Latency time.Duration
	// Seed seeds the generator.
	Seed int64
}

// FaultKind is one way a request can be made to fail.
type FaultKind int

const (
	// FaultNone is no fault.
	FaultNone FaultKind = iota
	// Fault500 answers 500 without executing.
	Fault500
	// Fault429 answers 429 with Retry-After without executing.
	Fault429
	// FaultHTML403 answers Cloudflare's HTML 403 page without executing.
	FaultHTML403
	// FaultAfterExecute500 executes the request, then answers 500.
	FaultAfterExecute500
)

// faultState is the fault and rate-limit bookkeeping, guarded by Server.mu.
type faultState struct {
	cfg   Faults
	rng   *rand.Rand
	queue []FaultKind
	// rate-limit window
	windowEnd time.Time
	used      int
}

func (f *faultState) init(cfg Faults) {
	f.cfg = cfg
	f.rng = rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Seed)^0x9e3779b97f4a7c15))
}

// SetFaults replaces the fault configuration and reseeds the generator.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.init(f)
}

// FailNextRequests makes the next n requests fail with kind, whatever the
// shares (deterministic single faults, e.g. one 429 then success).
func (s *Server) FailNextRequests(kind FaultKind, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults.queue = append(s.faults.queue, kind)
	}
}

// admission is the fault decision and rate-limit headers for one request.
type admission struct {
	fault      FaultKind
	retryAfter time.Duration
	limit      int
	remaining  int
	reset      time.Time
}

// admit counts the request against the hourly window and picks its fault:
// a queued one, a 429 when the window is used up, else a random draw.
func (s *Server) admit(mutation bool) admission {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, f := s.now(), &s.faults
	if !now.Before(f.windowEnd) {
		f.windowEnd, f.used = now.Add(time.Hour), 0
	}
	f.used++
	a := admission{limit: s.opts.RateLimit, remaining: max(0, s.opts.RateLimit-f.used), reset: f.windowEnd}
	a.retryAfter = f.cfg.RetryAfter
	switch {
	case len(f.queue) > 0:
		a.fault, f.queue = f.queue[0], f.queue[1:]
	case f.used > s.opts.RateLimit:
		a.fault, a.retryAfter = Fault429, f.windowEnd.Sub(now)
	default:
		a.fault = f.draw(mutation)
	}
	return a
}

// draw picks a random fault by the configured shares.
func (f *faultState) draw(mutation bool) FaultKind {
	c := f.cfg
	if c.Error500+c.RateLimit429+c.HTML403 > 0 {
		u := f.rng.Float64()
		switch {
		case u < c.Error500:
			return Fault500
		case u < c.Error500+c.RateLimit429:
			return Fault429
		case u < c.Error500+c.RateLimit429+c.HTML403:
			return FaultHTML403
		}
	}
	if mutation && c.AfterExecute500 > 0 && f.rng.Float64() < c.AfterExecute500 {
		return FaultAfterExecute500
	}
	return FaultNone
}

// setHeaders writes the X-RateLimit-* headers every answer carries.
func (a admission) setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(a.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(a.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(a.reset.Unix(), 10))
}

// cloudflare403 is the page Cloudflare serves when it blocks a client.
const cloudflare403 = `<!DOCTYPE html>
<html lang="en-US">
<head><title>Access denied | backboard.railway.com used Cloudflare to restrict access</title>
<meta charset="UTF-8" /></head>
<body><div id="cf-wrapper"><h1>Sorry, you have been blocked</h1>
<h2>You are unable to access backboard.railway.com</h2>
<p>This website is using a security service to protect itself from online attacks.</p>
<p>Cloudflare Ray ID: <strong>8f0c0ffee0000000</strong></p></div></body>
</html>
`

// writeFault answers a faulted request and returns the status written.
func writeFault(w http.ResponseWriter, a admission) int {
	switch a.fault {
	case Fault429:
		secs := int64((a.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
		return writeJSON(w, http.StatusTooManyRequests,
			map[string]any{"errors": []map[string]string{{"message": "Rate limit exceeded. Please try again later."}}})
	case FaultHTML403:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(cloudflare403)) // the client went away; nothing to do
		return http.StatusForbidden
	default:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return http.StatusInternalServerError
	}
}

// delay holds the answer for the configured latency, or until the client
// gives up.
func (s *Server) delay(ctx context.Context) {
	s.mu.Lock()
	d := s.faults.cfg.Latency
	s.mu.Unlock()
	_ = clock.Sleep(ctx, d) // a client that gave up is answered at once
}
