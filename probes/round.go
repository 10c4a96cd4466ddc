package probes

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// RoundMargin is how long a round waits beyond probeTimeout for its checks
// before it reports the missing ones as timed out.
const RoundMargin = 50 * time.Millisecond

// Options configures a Prober.
type Options struct {
	// Logger receives debug lines per round and per failure; nop when nil.
	Logger *zap.Logger
	// HTTPClient is passed to the endpoint probe (see EndpointOptions).
	HTTPClient *http.Client
	// Now stamps Round.At; time.Now when nil. Durations and latencies are
	// always measured with the real clock.
	Now func() time.Time
}

// RoundConfig is what one round probes.
type RoundConfig struct {
	// Name is the spec's name (used in the pub/sub channel).
	Name   string
	Health spec.Health
	// RedisURL is the URL to probe: Health.Redis.URL, or the addon's rendered
	// REDIS_URL. Empty means unknown: the Redis check is then inconclusive,
	// never unhealthy, so that nothing is rolled back on a guess.
	RedisURL spec.Secret
	// SkipExpect skips the endpoints' expect checks (only their HTTP status
	// counts): while rolled back (CONTRACT section 5), before the consumers
	// are bound, and while a deploy the operator started is rolling out —
	// whenever the apps are not meant to report Redis connected.
	SkipExpect bool
}

// Prober runs probe rounds. It keeps one RedisProbe for the current Redis
// URL and options, replacing it when they change. Round may be called
// concurrently, though the controller runs one round at a time.
type Prober struct {
	log       *zap.Logger
	now       func() time.Time
	endpoints *EndpointProbe

	mu       sync.Mutex
	closed   bool
	redis    *RedisProbe
	redisCfg RedisOptions // what redis was built from (Logger excluded)

	hook redis.Hook // tests only: passed to new Redis probes
}

// NewProber returns a Prober.
func NewProber(opts Options) *Prober {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Prober{
		log:       log,
		now:       now,
		endpoints: NewEndpointProbe(EndpointOptions{HTTPClient: opts.HTTPClient, Logger: log}),
	}
}

// Round runs the Redis check and every endpoint check concurrently, each
// bounded by probeTimeout, and returns within probeTimeout + RoundMargin
// whatever the checks do; a check that has not reported by then counts as
// timed out. Log expectations are not part of a round (see LogProbe).
func (p *Prober) Round(ctx context.Context, cfg RoundConfig) Round {
	at, start := p.now(), time.Now()
	timeout := cfg.Health.ProbeTimeout
	if timeout <= 0 {
		timeout = spec.DefaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	eps := cfg.Health.Endpoints
	results := make(chan indexedCheck, 1+len(eps)) // buffered: late checks never block
	if rp, c := p.redisProbe(cfg); rp != nil {
		go func() { results <- indexedCheck{0, rp.Probe(ctx)} }()
	} else {
		results <- indexedCheck{0, c}
	}
	for i, ep := range eps {
		go func() { results <- indexedCheck{i + 1, p.endpoints.Probe(ctx, ep, cfg.SkipExpect)} }()
	}
	checks := collect(results, 1+len(eps), timeout+RoundMargin)
	fillLate(checks, eps, timeout)

	r := Round{At: at, Checks: checks}
	r.Redis, r.ConsumersHealthy, r.Reason = Classify(checks)
	r.Duration = time.Since(start)
	p.log.Debug("probe round", zap.Stringer("redis", r.Redis), zap.Bool("consumersHealthy", r.ConsumersHealthy),
		zap.String("reason", r.Reason), zap.Duration("duration", r.Duration))
	return r
}

// Close closes the Redis probe and the idle HTTP connections.
func (p *Prober) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.redis != nil {
		p.redis.Close()
		p.redis = nil
	}
	p.endpoints.CloseIdleConnections()
}

// Classify applies CONTRACT section 5 to a round's checks: Redis is
// unhealthy when any check counts against it (a Redis probe failure, or an
// endpoint answering the right status whose expect checks fail); it is
// inconclusive when the Redis check could not run (URL unknown or invalid)
// and nothing else counts against it; healthy otherwise. Consumers are
// unhealthy when an endpoint fails for a reason of its own (unreachable,
// another status, an unreadable body). reason names the first Redis-side
// failure, or why the round is inconclusive.
func Classify(checks []Check) (v Verdict, consumersHealthy bool, reason string) {
	v, consumersHealthy = VerdictInconclusive, true
	probed := false
	for _, c := range checks {
		switch {
		case !c.OK && c.RedisProblem:
			if v != VerdictUnhealthy {
				v, reason = VerdictUnhealthy, c.Name+": "+c.Message
			}
		case c.Kind == KindRedis && c.OK:
			probed = true
		case c.Kind == KindRedis && reason == "":
			reason = c.Name + ": " + c.Message // could not probe
		case c.Kind == KindEndpoint && !c.OK:
			consumersHealthy = false
		}
	}
	if v != VerdictUnhealthy && probed {
		v, reason = VerdictHealthy, ""
	}
	return v, consumersHealthy, reason
}

// redisProbe returns the probe for cfg, creating or replacing it as needed,
// or, when Redis cannot be probed, the Check that says why.
func (p *Prober) redisProbe(cfg RoundConfig) (*RedisProbe, Check) {
	c := Check{Name: "redis", Kind: KindRedis, Step: StepURL}
	if cfg.RedisURL.IsZero() {
		c.Message = "redis url not known yet"
		return nil, c
	}
	h := cfg.Health.Redis
	want := RedisOptions{Name: cfg.Name, URL: cfg.RedisURL, MaxLatency: h.MaxLatency,
		MaxMemory: int64(h.MaxMemory), PubSub: h.PubSub, ExpectKeys: h.ExpectKeys}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Message = "prober closed"
		return nil, c
	}
	if p.redis != nil && p.redisCfg == want {
		return p.redis, c
	}
	if p.redis != nil {
		p.redis.Close() // never blocks on Redis
		p.redis = nil
		p.log.Debug("redis probe replaced: url or options changed")
	}
	opts := want
	opts.Logger, opts.hook = p.log, p.hook
	rp, err := NewRedisProbe(opts)
	if err != nil {
		c.Message = err.Error() // ErrInvalidURL never quotes the URL
		return nil, c
	}
	p.redis, p.redisCfg = rp, want
	return rp, c
}

type indexedCheck struct {
	i int
	c Check
}

// collect gathers n results or stops at the deadline; a missing result is
// left as the zero Check.
func collect(results <-chan indexedCheck, n int, wait time.Duration) []Check {
	checks := make([]Check, n)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for range n {
		select {
		case r := <-results:
			checks[r.i] = r.c
		case <-timer.C:
			return checks
		}
	}
	return checks
}

// fillLate replaces the checks that did not report in time.
func fillLate(checks []Check, eps []spec.Endpoint, timeout time.Duration) {
	if checks[0].Name == "" {
		checks[0] = Check{Name: "redis", Kind: KindRedis, Step: StepPing,
			Message: timeoutMessage(timeout), RedisProblem: true}
	}
	for i, ep := range eps {
		if checks[i+1].Name == "" {
			checks[i+1] = Check{Name: "endpoint/" + ep.Name, Kind: KindEndpoint, Step: StepUnreachable,
				Message: "timed out after " + formatDuration(timeout)}
		}
	}
}
