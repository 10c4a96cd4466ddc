package railway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/smartlic/reconciler/internal/clock"
	"github.com/smartlic/reconciler/spec"
)

// Defaults for Options.
const (
	DefaultHTTPTimeout = 30 * time.Second
	DefaultMaxAttempts = 5
)

// Options configures a Client. Only Credentials is required.
type Options struct {
	// Endpoint is the GraphQL URL; default spec.DefaultEndpoint.
	Endpoint string
	// Credentials authenticate every request except Template.
	Credentials Credentials
	// Version goes into the User-Agent as "reconciler/<version>"; default "dev".
	Version string
	// HTTPClient sends the requests; default an http.Client with a 30s timeout.
	HTTPClient *http.Client
	// MaxRequestsPerHour is the client-side budget: no more than this many
	// HTTP requests (retries included) in any hour. 0 means no budget.
	MaxRequestsPerHour int
	// Logger receives retry and request logs (never secrets); default no-op.
	Logger *zap.Logger
	// Now is the clock; default time.Now. Context deadlines are compared
	// against it, so it must follow the wall clock in production.
	Now func() time.Time
	// Sleep waits d or until ctx is done; default a timer. Tests inject a fake
	// that records the waits and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxAttempts bounds the HTTP attempts of one call; default 5.
	MaxAttempts int
	// OnRequest, when set, is called once per HTTP attempt with the operation
	// name and one of "ok", "graphql_error", "not_found", "unauthorized",
	// "rate_limited", "transient", "budget" (the last when the budget stopped
	// the attempt before it was sent).
	OnRequest func(operation, result string)
}

// Stats is a snapshot of the client's request accounting.
type Stats struct {
	// Requests is the number of HTTP requests sent.
	Requests int64
	// RateLimitRemaining is the last X-RateLimit-Remaining seen, valid when
	// RateLimitKnown.
	RateLimitRemaining int
	RateLimitKnown     bool
	// RateLimitReset is the last X-RateLimit-Reset seen (zero when unknown).
	RateLimitReset time.Time
}

// Client calls Railway's GraphQL API. It is safe for concurrent use.
type Client struct {
	endpoint   string
	creds      Credentials
	userAgent  string
	http       *http.Client
	limiter    *rate.Limiter // nil: no budget
	log        *zap.Logger
	now        func() time.Time
	sleep      func(ctx context.Context, d time.Duration) error
	attempts   int
	onRequest  func(operation, result string)
	requests   atomic.Int64
	statsMu    sync.Mutex
	rateLimits Stats
}

// New builds a Client. It fails on missing credentials or a negative budget.
func New(opts Options) (*Client, error) {
	if !opts.Credentials.valid() {
		return nil, ErrNoToken
	}
	if opts.MaxRequestsPerHour < 0 {
		return nil, fmt.Errorf("railway: maxRequestsPerHour must not be negative, got %d", opts.MaxRequestsPerHour)
	}
	if opts.MaxAttempts < 0 {
		return nil, errors.New("railway: MaxAttempts must not be negative")
	}
	c := &Client{
		endpoint:  orDefault(opts.Endpoint, spec.DefaultEndpoint),
		creds:     opts.Credentials,
		userAgent: "reconciler/" + orDefault(opts.Version, "dev"),
		http:      opts.HTTPClient,
		log:       opts.Logger,
		now:       opts.Now,
		sleep:     opts.Sleep,
		attempts:  opts.MaxAttempts,
		onRequest: opts.OnRequest,
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	c.log = c.log.Named("railway")
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = clock.Sleep
	}
	if c.attempts == 0 {
		c.attempts = DefaultMaxAttempts
	}
	if opts.MaxRequestsPerHour > 0 {
		c.limiter = newBudget(opts.MaxRequestsPerHour)
	}
	return c, nil
}

// newBudget is a token bucket that never allows more than n requests in any
// hour: burst b = max(1, min(20, n/10)) and a refill of (n-b) per hour, so any
// hour sees at most b + (n-b) = n.
func newBudget(n int) *rate.Limiter {
	b := max(1, min(20, n/10))
	refill := n - b
	if refill == 0 {
		refill = n // n == 1: one request per hour
	}
	return rate.NewLimiter(rate.Limit(float64(refill)/time.Hour.Seconds()), b)
}

// Stats returns the request count and the last rate-limit headers seen.
func (c *Client) Stats() Stats {
	c.statsMu.Lock()
	s := c.rateLimits
	c.statsMu.Unlock()
	s.Requests = c.requests.Load()
	return s
}

// String describes the client without its token.
func (c *Client) String() string {
	return fmt.Sprintf("railway.Client(%s, %s)", c.endpoint, c.creds)
}

// Format keeps every fmt verb, %#v included, from walking the client's fields.
func (c *Client) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
