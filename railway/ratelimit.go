package railway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ReserveFraction is the share of Railway's X-RateLimit-Limit kept for
// essential calls: once X-RateLimit-Remaining is at or below
// ceil(Limit × ReserveFraction), only essential calls go out until
// X-RateLimit-Reset.
const ReserveFraction = 0.10

// staleLimits is how long headers without a usable X-RateLimit-Reset are
// trusted (Railway's window is an hour).
const staleLimits = time.Hour

// ReserveError means a non-essential call was refused without being sent:
// Railway's rate limit has Remaining of Limit requests left until Reset,
// and those are kept for essential calls (mutations, and calls whose
// context is marked with Essential). It unwraps to ErrBudgetExhausted and is
// transient.
type ReserveError struct {
	Op               string
	Remaining, Limit int
	Reset            time.Time // zero when Railway gave none
}

// Error implements error.
func (e *ReserveError) Error() string {
	until := "the window resets"
	if !e.Reset.IsZero() {
		until = e.Reset.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("railway %s: Railway's rate limit has %d of %d requests left until %s, kept in reserve for rollbacks and deploys: %v",
		e.Op, e.Remaining, e.Limit, until, ErrBudgetExhausted)
}

// Unwrap returns ErrBudgetExhausted.
func (e *ReserveError) Unwrap() error { return ErrBudgetExhausted }

type essentialKey struct{}

// Essential marks ctx so that calls made with it may use the rate-limit
// reserve (see ReserveFraction). Mutations always may; mark the reads a
// rollback or roll-forward needs.
func Essential(ctx context.Context) context.Context {
	return context.WithValue(ctx, essentialKey{}, true)
}

// IsEssential reports whether ctx was marked with Essential.
func IsEssential(ctx context.Context) bool {
	v, _ := ctx.Value(essentialKey{}).(bool)
	return v
}

// rateLimits is the last X-RateLimit-* seen.
type rateLimits struct {
	mu        sync.Mutex
	limit     int // 0: unknown
	remaining int
	known     bool // remaining is known
	reset     time.Time
	seen      time.Time
}

// record keeps the headers of one answer; it returns the limit seen (0 if
// none). Unparseable values are ignored.
func (r *rateLimits) record(h http.Header, now time.Time) int {
	limit, limErr := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit")))
	rem, remErr := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	reset, resetOK := parseReset(h.Get("X-RateLimit-Reset"), now)
	r.mu.Lock()
	defer r.mu.Unlock()
	if limErr == nil && limit > 0 {
		r.limit, r.seen = limit, now
	}
	if remErr == nil && rem >= 0 {
		r.remaining, r.known, r.seen = rem, true, now
	}
	if resetOK {
		r.reset = reset
	}
	if limErr != nil || limit <= 0 {
		return 0
	}
	return limit
}

// sent counts a request against the last Remaining seen.
func (r *rateLimits) sent() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known && r.remaining > 0 {
		r.remaining--
	}
}

// current reports whether the headers still describe the present window.
func (r *rateLimits) current(now time.Time) bool {
	if !r.reset.IsZero() {
		return now.Before(r.reset)
	}
	return now.Sub(r.seen) < staleLimits
}

// reserve is ceil(limit × ReserveFraction), at least 1; 0 for no limit.
func reserveFor(limit int) int {
	if limit <= 0 {
		return 0
	}
	return max(1, int(float64(limit)*ReserveFraction+0.999999))
}

// check refuses a non-essential call while the reserve is in force.
func (r *rateLimits) check(op string, essential bool, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if essential || !r.known || r.limit == 0 || !r.current(now) || r.remaining > reserveFor(r.limit) {
		return nil
	}
	return &ReserveError{Op: op, Remaining: r.remaining, Limit: r.limit, Reset: r.reset}
}

func (r *rateLimits) snapshot(now time.Time) Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{RateLimitRemaining: r.remaining, RateLimitKnown: r.known, RateLimitLimit: r.limit, RateLimitReset: r.reset}
	s.Reserve = reserveFor(r.limit)
	s.Reserved = r.known && r.limit > 0 && r.current(now) && r.remaining <= s.Reserve
	return s
}

// maxResetDelta is the largest X-RateLimit-Reset read as seconds from now
// (a day); larger numbers are Unix times.
const maxResetDelta = 86400

// parseReset reads X-RateLimit-Reset: a Unix time in seconds or
// milliseconds, up to a day of seconds from now, RFC 3339 or an HTTP date.
// Anything else (garbage, a negative number, a number in neither range) is
// ignored.
func parseReset(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n > 1e12 && n < 1e14:
			return time.UnixMilli(n), true
		case n > 1e9 && n < 1e11:
			return time.Unix(n, 0), true
		case n >= 0 && n <= maxResetDelta:
			return now.Add(time.Duration(n) * time.Second), true
		}
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t, true
	}
	return time.Time{}, false
}
