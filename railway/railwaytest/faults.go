package railwaytest

import (
	"context"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/smartlic/reconciler/internal/clock"
)

// Faults makes a share of requests fail the ways Railway's edge does. Shares
// are 0..1 and drawn from a generator seeded with Seed, so a sequence of
// requests meets the same faults on every run. A faulted request is not
// executed, except under AfterExecute500 and AfterExecuteDrop.
type Faults struct {
	Error500     float64 // answered 500 with a plain-text body
	RateLimit429 float64 // answered 429 with Retry-After
	HTML403      float64 // answered 403 with Cloudflare's HTML "Access denied" page
	// AfterExecute500 is the share of mutation requests that are executed
	// and then answered 500: an ambiguous failure.
	AfterExecute500 float64
	// AfterExecuteDrop is the share of mutation requests that are executed
	// and then answered by closing the connection: no HTTP answer at all.
	AfterExecuteDrop float64
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
	// FaultAfterExecute502 executes the request, then answers 502 (a proxy
	// that lost the backend's answer).
	FaultAfterExecute502
	// FaultAfterExecuteDrop executes the request, then closes the connection
	// without answering.
	FaultAfterExecuteDrop
	// FaultEdge1015 answers Cloudflare's edge block: HTTP 429, body "error
	// code: 1015", no Retry-After and no X-RateLimit-* headers. Not executed.
	FaultEdge1015
	// Fault503 answers 503 Service Unavailable (an outage). Not executed.
	Fault503
)

// executes reports whether a request meeting this fault is executed.
func (k FaultKind) executes() bool {
	return k == FaultNone || k == FaultAfterExecute500 || k == FaultAfterExecute502 || k == FaultAfterExecuteDrop
}

// faultState is the fault and rate-limit bookkeeping, guarded by Server.mu.
type faultState struct {
	cfg      Faults
	rng      *rand.Rand
	queue    []FaultKind
	targeted []targetedFault
	edge     window // the edge block (FaultEdge1015)
	outage   window // the outage (Fault503)
	// rate-limit window
	windowEnd time.Time
	used      int
}

// targetedFault is a fault for the next mutation selecting field ("": any).
type targetedFault struct {
	field string
	kind  FaultKind
}

// window is a period during which every request fails: from start, until
// end (zero end: until switched off); inactive when start is zero.
type window struct {
	start, end time.Time
}

func (w window) active(now time.Time) bool {
	return !w.start.IsZero() && !now.Before(w.start) && (w.end.IsZero() || now.Before(w.end))
}

// open starts a window now, for d (d <= 0: until closed).
func openWindow(now time.Time, d time.Duration) window {
	w := window{start: now}
	if d > 0 {
		w.end = now.Add(d)
	}
	return w
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

// FailNextMutation makes the next mutation request that selects field (a
// root mutation field such as "templateDeployV2"; "" for any mutation) fail
// with kind, e.g. FaultAfterExecute502: the mutation is done, then answered
// 502. Calls queue; they take precedence over FailNextRequests.
func (s *Server) FailNextMutation(field string, kind FaultKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.targeted = append(s.faults.targeted, targetedFault{field: field, kind: kind})
}

// BlockAtEdge makes Cloudflare's edge block every request from now (the
// simulator's clock) for d, or until UnblockEdge when d <= 0: HTTP 429 with
// the body "error code: 1015" and no Retry-After or X-RateLimit-* header.
// Blocked requests are recorded (Faulted) but not executed, and do not
// count against the rate limit.
func (s *Server) BlockAtEdge(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.edge = openWindow(s.now(), d)
}

// UnblockEdge ends the edge block.
func (s *Server) UnblockEdge() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.edge = window{}
}

// StartOutage makes every request fail with 503 Service Unavailable from
// now for d, or until EndOutage when d <= 0. Nothing is executed.
func (s *Server) StartOutage(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.outage = openWindow(s.now(), d)
}

// EndOutage ends the outage.
func (s *Server) EndOutage() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.outage = window{}
}

// admission is the fault decision and rate-limit headers for one request.
type admission struct {
	fault      FaultKind
	retryAfter time.Duration
	limit      int // 0: no X-RateLimit-* headers
	remaining  int
	reset      time.Time
}

// admit picks the request's fault: the edge block and the outage first
// (before Railway's rate limit sees the request), then a targeted or queued
// one, a 429 when the hourly window is used up, else a random draw.
func (s *Server) admit(mutation bool, fields []string) admission {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, f := s.now(), &s.faults
	switch {
	case f.edge.active(now):
		return admission{fault: FaultEdge1015}
	case f.outage.active(now):
		return admission{fault: Fault503}
	}
	if !now.Before(f.windowEnd) {
		f.windowEnd, f.used = now.Add(time.Hour), 0
	}
	f.used++
	a := admission{limit: s.opts.RateLimit, remaining: max(0, s.opts.RateLimit-f.used), reset: f.windowEnd}
	a.retryAfter = f.cfg.RetryAfter
	switch {
	case mutation && f.takeTargeted(fields, &a.fault):
	case len(f.queue) > 0:
		a.fault, f.queue = f.queue[0], f.queue[1:]
	case f.used > s.opts.RateLimit:
		a.fault, a.retryAfter = Fault429, f.windowEnd.Sub(now)
	default:
		a.fault = f.draw(mutation)
	}
	return a
}

// takeTargeted pops the first targeted fault matching one of fields.
func (f *faultState) takeTargeted(fields []string, kind *FaultKind) bool {
	for i, t := range f.targeted {
		if t.field == "" || slices.Contains(fields, t.field) {
			*kind = t.kind
			f.targeted = slices.Delete(f.targeted, i, i+1)
			return true
		}
	}
	return false
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
	if mutation && c.AfterExecuteDrop > 0 && f.rng.Float64() < c.AfterExecuteDrop {
		return FaultAfterExecuteDrop
	}
	return FaultNone
}

// setHeaders writes the X-RateLimit-* headers every answer from Railway
// carries (none for the edge block and the outage).
func (a admission) setHeaders(w http.ResponseWriter) {
	if a.limit == 0 {
		return
	}
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
	case FaultEdge1015:
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte("error code: 1015")) // the client went away; nothing to do
		return http.StatusTooManyRequests
	case Fault503:
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return http.StatusServiceUnavailable
	case FaultAfterExecute502:
		http.Error(w, "Bad Gateway", http.StatusBadGateway)
		return http.StatusBadGateway
	default:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return http.StatusInternalServerError
	}
}

// dropConnection closes the client's connection without an answer; it
// returns 0 (no status was written).
func dropConnection(w http.ResponseWriter) int {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return http.StatusInternalServerError
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close() // the point is to drop it
	}
	return 0
}

// delay holds the answer for the configured latency, or until the client
// gives up.
func (s *Server) delay(ctx context.Context) {
	s.mu.Lock()
	d := s.faults.cfg.Latency
	s.mu.Unlock()
	_ = clock.Sleep(ctx, d) // a client that gave up is answered at once
}
