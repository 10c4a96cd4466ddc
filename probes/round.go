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
// before it reports the missing ones as late.
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
	// Addon builds the addon's probe; default the Redis probe (NewRedisProbe).
	Addon AddonFactory
}

// RoundConfig is what one round probes.
type RoundConfig struct {
	// Name is the unit's name (used in the addon probe's own resources).
	Name   string
	Health spec.Health
	// RedisURL is the addon URL to probe: Health.Redis.URL, or the addon's
	// rendered URL. Empty means unknown: the addon check is then
	// inconclusive, never unhealthy, so that nothing is rolled back on a
	// guess.
	RedisURL spec.Secret
	// RedisURLUnknown says why RedisURL is empty, and what to set, for the
	// addon check's message; "" says "redis url not known yet".
	RedisURLUnknown string
	// SkipExpect skips the endpoints' expect checks (only their HTTP status
	// counts): while rolled back (CONTRACT section 5), before the consumers
	// are bound, and while a deploy the operator started is rolling out —
	// whenever the apps are not meant to report Redis connected.
	SkipExpect bool
}

// Prober runs probe rounds: the addon's probe first, then one per endpoint.
// It keeps one AddonProbe for the current target, replacing it when the
// target changes. Round may be called concurrently, though the controller
// runs one round at a time.
type Prober struct {
	log       *zap.Logger
	now       func() time.Time
	endpoints *EndpointProbe
	factory   AddonFactory

	mu     sync.Mutex
	closed bool
	addon  AddonProbe
	target AddonTarget // what addon was built from

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
	p := &Prober{log: log, now: now, endpoints: NewEndpointProbe(EndpointOptions{HTTPClient: opts.HTTPClient, Logger: log})}
	p.factory = opts.Addon
	if p.factory == nil {
		p.factory = p.newRedis
	}
	return p
}

// newRedis is the default AddonFactory: the Redis probe.
func (p *Prober) newRedis(t AddonTarget, log *zap.Logger) (AddonProbe, error) {
	h := t.Health
	return NewRedisProbe(RedisOptions{Name: t.Name, URL: t.URL, MaxLatency: h.MaxLatency, MaxMemory: int64(h.MaxMemory),
		PubSub: h.PubSub, ExpectKeys: h.ExpectKeys, Logger: log, hook: p.hook})
}

// Round runs every probe of cfg concurrently, each bounded by
// probeTimeout, and returns within probeTimeout + RoundMargin whatever the
// probes do; a probe that has not reported by then counts as late. Log
// expectations are not part of a round (see LogProbe).
func (p *Prober) Round(ctx context.Context, cfg RoundConfig) Round {
	at, start := p.now(), time.Now()
	timeout := cfg.Health.ProbeTimeout
	if timeout <= 0 {
		timeout = spec.DefaultProbeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	list := p.probes(cfg)
	results := make(chan indexedCheck, len(list)) // buffered: late checks never block
	for i, pr := range list {
		go func() { results <- indexedCheck{i, pr.Probe(ctx)} }()
	}
	checks := collect(results, len(list), timeout+RoundMargin)
	for i, c := range checks {
		if c.Name == "" {
			checks[i] = list[i].Late(timeout)
		}
	}
	r := Round{At: at, Checks: checks}
	r.Addon, r.ConsumersHealthy, r.Reason = Classify(checks)
	r.Duration = time.Since(start)
	p.log.Debug("probe round", zap.Stringer("addon", r.Addon), zap.Bool("consumersHealthy", r.ConsumersHealthy),
		zap.String("reason", r.Reason), zap.Duration("duration", r.Duration))
	return r
}

// probes lists the probes of a round: the addon's, then each endpoint's.
func (p *Prober) probes(cfg RoundConfig) []Probe {
	list := make([]Probe, 0, 1+len(cfg.Health.Endpoints))
	list = append(list, p.addonProbe(cfg))
	for _, ep := range cfg.Health.Endpoints {
		list = append(list, endpointCheck{p: p.endpoints, ep: ep, skipExpect: cfg.SkipExpect})
	}
	return list
}

// Close closes the addon probe and the idle HTTP connections.
func (p *Prober) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.addon != nil {
		p.addon.Close()
		p.addon = nil
	}
	p.endpoints.CloseIdleConnections()
}

// Classify applies CONTRACT section 5 to a round's checks: the addon is
// unhealthy when any check counts against it (an addon probe failure, or
// an endpoint answering the right status whose expect checks fail); it is
// inconclusive when the addon check could not run (URL unknown or invalid)
// and nothing else counts against it; healthy otherwise. Consumers are
// unhealthy when an endpoint fails for a reason of its own (unreachable,
// another status, an unreadable body). reason names the first addon-side
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

// addonProbe returns the addon's probe for cfg, creating or replacing it
// as needed, or, when the addon cannot be probed, a probe that says why.
func (p *Prober) addonProbe(cfg RoundConfig) Probe {
	c := Check{Name: "redis", Kind: KindRedis, Step: StepURL}
	if cfg.RedisURL.IsZero() {
		c.Message = "redis url not known yet"
		if cfg.RedisURLUnknown != "" {
			c.Message = cfg.RedisURLUnknown
		}
		return staticProbe{c}
	}
	if why := spec.RedisURLProblem(cfg.RedisURL.Value()); why != "" {
		c.Message = why
		return staticProbe{c}
	}
	h := cfg.Health.Redis
	h.URL = spec.Secret{}
	want := AddonTarget{Name: cfg.Name, URL: cfg.RedisURL, Health: h}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Message = "prober closed"
		return staticProbe{c}
	}
	if p.addon != nil && p.target == want {
		return p.addon
	}
	if p.addon != nil {
		p.addon.Close() // never blocks on the addon
		p.addon = nil
		p.log.Debug("addon probe replaced: url or options changed")
	}
	ap, err := p.factory(want, p.log)
	if err != nil {
		c.Message = err.Error() // ErrInvalidURL never quotes the URL
		return staticProbe{c}
	}
	p.addon, p.target = ap, want
	return ap
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
