package railway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/clock"
	"github.com/smartlic/reconciler/spec"
)

// Defaults for Options.
const (
	// DefaultQueryTimeout bounds one HTTP attempt of a query.
	DefaultQueryTimeout = 30 * time.Second
	// DefaultMutationTimeout bounds one HTTP attempt of a mutation. Railway's
	// CLI raised its own timeout from 30 s to 90 s because long mutations
	// exceeded 30 s.
	DefaultMutationTimeout = 90 * time.Second
	DefaultMaxAttempts     = 5
)

// Options configures a Client. Only Credentials is required.
type Options struct {
	// Endpoint is the GraphQL URL; default spec.DefaultEndpoint.
	Endpoint string
	// Credentials authenticate every request except Template.
	Credentials Credentials
	// Version goes into the User-Agent as "reconciler/<version>"; default "dev".
	Version string
	// Instance names this replica. When set, the User-Agent becomes
	// "reconciler/<version> (instance <id>)" and every request carries
	// "X-Reconciler-Instance: <id>", so Railway-side logs (and the
	// simulator) attribute requests to the replica that sent them. At most
	// 128 characters among letters, digits and ". _ : @ / -".
	Instance string
	// HTTPClient sends the requests; default an http.Client without a
	// timeout of its own: each attempt is bounded by QueryTimeout or
	// MutationTimeout, and the whole call by the caller's context.
	HTTPClient *http.Client
	// QueryTimeout bounds one HTTP attempt of a query; default 30s.
	QueryTimeout time.Duration
	// MutationTimeout bounds one HTTP attempt of a mutation; default 90s.
	MutationTimeout time.Duration
	// MaxRequestsPerHour is the client-side budget: no more than this many
	// HTTP requests (retries included) in any hour. 0 means no budget.
	// When Railway reports a lower X-RateLimit-Limit, the budget follows it
	// down (see the package documentation).
	MaxRequestsPerHour int
	// Logger receives retry and request logs (never secrets); default no-op.
	Logger *zap.Logger
	// LogAttempts logs every failed attempt at warn level, as
	// "attempt 3/5, next in 4s: <error>" (and "attempt 5/5, giving up:
	// <error>" for the last), for interactive commands. Off, a retry is
	// logged at warn only when its failure differs from the previous one
	// (the controller's quieter default).
	LogAttempts bool
	// Now is the clock; default time.Now. Context deadlines, the edge
	// block and the rate-limit window are compared against it, so it must
	// follow the wall clock in production.
	Now func() time.Time
	// Sleep waits d or until ctx is done; default a timer. Tests inject a fake
	// that records the waits and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxAttempts bounds the HTTP attempts of one call; default 5.
	MaxAttempts int
	// OnRequest, when set, is called once per HTTP attempt with the operation
	// name and one of "ok", "graphql_error", "not_found", "unauthorized",
	// "rate_limited", "transient", "budget" (the budget or the rate-limit
	// reserve stopped the attempt before it was sent) or "edge_blocked"
	// (the client-wide edge block stopped it before it was sent; the 429
	// that starts or extends a block is "rate_limited").
	OnRequest func(operation, result string)
}

// Stats is a snapshot of the client's request accounting.
type Stats struct {
	// Requests is the number of HTTP requests sent.
	Requests int64
	// RateLimitRemaining is the last X-RateLimit-Remaining seen, less the
	// requests sent since, valid when RateLimitKnown.
	RateLimitRemaining int
	RateLimitKnown     bool
	// RateLimitLimit is the last X-RateLimit-Limit seen (0 when unknown).
	RateLimitLimit int
	// RateLimitReset is the last X-RateLimit-Reset seen (zero when unknown).
	RateLimitReset time.Time
	// Reserve is the number of requests kept for essential calls until
	// RateLimitReset: ceil(10% of RateLimitLimit), 0 while no limit is known.
	Reserve int
	// Reserved is true while the reserve is in force: RateLimitRemaining is
	// at or below Reserve before RateLimitReset, so non-essential calls fail
	// fast with a *ReserveError.
	Reserved bool
	// BlockedUntil is when the next attempt may go out while Cloudflare's
	// edge blocks this client (HTTP 429 "error code: 1015"); zero when not
	// blocked.
	BlockedUntil time.Time
	// EdgeInterval is the current edge backoff interval (0 when not
	// blocked): 60s, doubling per further block, at most 1h.
	EdgeInterval time.Duration
	// EdgeBlocks counts the edge-block answers that started or extended a
	// block (one per backoff step).
	EdgeBlocks int64
	// MaxRequestsPerHour is the client-side budget in force: the configured
	// one (Options.MaxRequestsPerHour or SetMaxRequestsPerHour), lowered to
	// Railway's X-RateLimit-Limit when that is lower; 0 when there is none.
	MaxRequestsPerHour int
	// RequestsLastHour is the number of requests the budget admitted in the
	// last hour (waiting ones included).
	RequestsLastHour int
}

// Client calls Railway's GraphQL API. It is safe for concurrent use.
type Client struct {
	endpoint    string
	creds       Credentials
	userAgent   string
	instance    string
	http        *http.Client
	queryTO     time.Duration
	mutationTO  time.Duration
	budget      budget
	log         *zap.Logger
	logAttempts bool
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	attempts    int
	onRequest   func(operation, result string)
	requests    atomic.Int64
	limits      rateLimits
	edge        edgeGate
}

// instancePattern is what Options.Instance may hold: safe in a header and a
// User-Agent comment.
var instancePattern = regexp.MustCompile(`^[A-Za-z0-9._:@/-]{1,128}$`)

// New builds a Client. It fails on missing credentials, a negative budget,
// attempt count or timeout, or an instance name it cannot send.
func New(opts Options) (*Client, error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	c := &Client{
		endpoint:    orDefault(opts.Endpoint, spec.DefaultEndpoint),
		creds:       opts.Credentials,
		userAgent:   "reconciler/" + orDefault(opts.Version, "dev"),
		instance:    opts.Instance,
		http:        opts.HTTPClient,
		queryTO:     orDuration(opts.QueryTimeout, DefaultQueryTimeout),
		mutationTO:  orDuration(opts.MutationTimeout, DefaultMutationTimeout),
		log:         opts.Logger,
		logAttempts: opts.LogAttempts,
		now:         opts.Now,
		sleep:       opts.Sleep,
		attempts:    opts.MaxAttempts,
		onRequest:   opts.OnRequest,
	}
	if c.instance != "" {
		c.userAgent += " (instance " + c.instance + ")"
	}
	if c.http == nil {
		c.http = &http.Client{}
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
	c.budget.configure(opts.MaxRequestsPerHour, c.now())
	return c, nil
}

func checkOptions(opts Options) error {
	switch {
	case !opts.Credentials.valid():
		return ErrNoToken
	case opts.MaxRequestsPerHour < 0:
		return fmt.Errorf("railway: maxRequestsPerHour must not be negative, got %d", opts.MaxRequestsPerHour)
	case opts.MaxAttempts < 0:
		return errors.New("railway: MaxAttempts must not be negative")
	case opts.QueryTimeout < 0 || opts.MutationTimeout < 0:
		return errors.New("railway: QueryTimeout and MutationTimeout must not be negative")
	case opts.Instance != "" && !instancePattern.MatchString(opts.Instance):
		return fmt.Errorf("railway: instance name %q: use at most 128 letters, digits and . _ : @ / -", opts.Instance)
	}
	return nil
}

// Stats returns the request count, the last rate-limit headers seen and the
// edge block.
func (c *Client) Stats() Stats {
	s := c.limits.snapshot(c.now())
	s.Requests = c.requests.Load()
	s.MaxRequestsPerHour, s.RequestsLastHour = c.budget.snapshot(c.now())
	s.BlockedUntil, s.EdgeInterval, s.EdgeBlocks = c.edge.snapshot()
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

func orDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
