package probes

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// ErrInvalidURL is returned by NewRedisProbe for an empty or malformed URL.
// The error never quotes the URL itself.
var ErrInvalidURL = errors.New("invalid redis url")

// RedisOptions configures a RedisProbe.
type RedisOptions struct {
	// Name is the spec's name; it goes into the private pub/sub channel
	// "reconciler:probe:<name>:<random>".
	Name string
	// URL is the Redis URL, password included.
	URL spec.Secret
	// MaxLatency bounds the PING round trip; spec.DefaultMaxLatency when 0.
	MaxLatency time.Duration
	// MaxMemory bounds used_memory in bytes; 0 means no bound.
	MaxMemory int64
	// PubSub enables the publish/subscribe round trip.
	PubSub bool
	// ExpectKeys is a glob at least one key must match ("" = no check).
	ExpectKeys string
	// Logger receives debug lines about failures and reconnections; nop when nil.
	Logger *zap.Logger

	// hook, set by tests only, observes the client's commands and dials.
	hook redis.Hook
}

// RedisProbe probes one Redis URL. It keeps one go-redis client and one
// subscription open between rounds. Probe calls are serialised; Close may be
// called at any time.
type RedisProbe struct {
	opts     RedisOptions
	base     redis.Options // parsed from the URL; copied for every new client
	password string        // masked out of messages, in case a library error quotes it
	display  string        // the redacted URL
	channel  string
	log      *zap.Logger
	busy     chan struct{} // holds a token while a Probe runs

	// Only the Probe holding busy touches info and seq.
	info infoMode
	seq  uint64

	mu     sync.Mutex
	closed bool
	client *redis.Client
	sub    *redis.PubSub
}

// NewRedisProbe checks the URL and returns a probe. No connection is made
// until the first Probe. It returns ErrInvalidURL when the URL is empty or
// does not parse.
func NewRedisProbe(opts RedisOptions) (*RedisProbe, error) {
	display := spec.RedactURL(opts.URL.Value())
	if opts.URL.IsZero() {
		return nil, fmt.Errorf("%w: empty", ErrInvalidURL)
	}
	base, err := redis.ParseURL(opts.URL.Value())
	if err != nil {
		// The parse error may quote the URL, password included: drop it.
		return nil, fmt.Errorf("%w: %s", ErrInvalidURL, display)
	}
	if opts.MaxLatency <= 0 {
		opts.MaxLatency = spec.DefaultMaxLatency
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &RedisProbe{
		opts:     opts,
		base:     *base,
		password: base.Password,
		display:  display,
		channel:  "reconciler:probe:" + opts.Name + ":" + rand.Text(),
		log:      log.Named("probe.redis").With(zap.String("url", display)),
		busy:     make(chan struct{}, 1),
	}, nil
}

// Probe runs every configured step once, in order (PING, INFO, pub/sub,
// keys), and stops at the first failure. Every step is bounded by ctx; when
// ctx has no deadline, spec.DefaultProbeTimeout applies. A hung Redis yields
// a failed Check shortly after the deadline, never a blocked call.
func (p *RedisProbe) Probe(ctx context.Context) Check {
	ctx, cancel := withDefaultDeadline(ctx)
	defer cancel()
	budget := remaining(ctx)
	c := Check{Name: "redis", Kind: KindRedis}
	select {
	case p.busy <- struct{}{}:
		defer func() { <-p.busy }()
	case <-ctx.Done():
		// The previous probe is still stuck in I/O: Redis is not answering.
		return p.failed(c, &failure{step: StepPing, msg: timeoutMessage(budget), cause: ctx.Err()})
	}
	client := p.clientFor(budget)
	if client == nil {
		return p.failed(c, &failure{step: StepConnect, msg: "probe closed", cause: redis.ErrClosed, notRedis: true})
	}
	if f := p.run(ctx, client, &c, budget); f != nil {
		return p.failed(c, f)
	}
	c.OK = true
	return c
}

// String identifies the probe by its redacted URL; it keeps fmt from
// printing the fields, which hold the password.
func (p *RedisProbe) String() string { return "RedisProbe(" + p.display + ")" }

// GoString is String, for %#v.
func (p *RedisProbe) GoString() string { return p.String() }

// Close closes the client and the subscription. A Probe running at the time
// fails; later ones report "probe closed". Close never blocks on Redis.
func (p *RedisProbe) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.resetLocked(resetAll)
}

// run executes the steps and returns the first failure.
func (p *RedisProbe) run(ctx context.Context, client *redis.Client, c *Check, budget time.Duration) *failure {
	if f := p.ping(ctx, client, c, budget); f != nil {
		return f
	}
	if f := p.memory(ctx, client, c, budget); f != nil {
		return f
	}
	if p.opts.PubSub {
		if f := p.pubsub(ctx, client, budget); f != nil {
			return f
		}
	}
	if p.opts.ExpectKeys != "" {
		return p.keys(ctx, client, budget)
	}
	return nil
}

// failed fills c from f, logs it, and drops whatever connection state the
// failure makes suspect.
func (p *RedisProbe) failed(c Check, f *failure) Check {
	c.OK = false
	c.Step = f.step
	c.Message = p.sanitize(f.msg)
	c.RedisProblem = !f.notRedis
	fields := []zap.Field{zap.String("step", c.Step), zap.String("message", c.Message)}
	if f.cause != nil {
		fields = append(fields, zap.String("cause", p.sanitize(f.cause.Error())))
	}
	p.log.Debug("redis probe failed", fields...)
	if f.reset != resetNone {
		p.mu.Lock()
		p.resetLocked(f.reset)
		p.mu.Unlock()
	}
	return c
}

// clientFor returns the client, creating it when there is none (first
// round, or after a failure that dropped it). It returns nil once closed.
func (p *RedisProbe) clientFor(budget time.Duration) *redis.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	if p.client == nil {
		p.client = p.newClient(budget)
		p.info = infoMemoryStats // a new client may face a different server
		p.log.Debug("redis probe client created")
	}
	return p.client
}

// ioCeiling bounds a read or write should a context ever lack a deadline
// (Probe gives every context one, so the context's deadline always wins).
const ioCeiling = time.Minute

// newClient builds a go-redis client for probing: no retries (a probe must
// not hide a failure by trying again), one dial attempt, a small pool, the
// context's deadline on every read and write, RESP2 and no optional
// handshake commands, so that a new connection costs one HELLO. The dial
// runs in go-redis's background and outlives a caller that gave up, so it
// is bounded by the budget of the round that created the client.
func (p *RedisProbe) newClient(budget time.Duration) *redis.Client {
	o := p.base // a copy: NewClient normalises the options it is given
	o.MaxRetries = -1
	o.DialerRetries = 1
	o.DialTimeout, o.PoolTimeout = budget, budget
	o.ReadTimeout, o.WriteTimeout = ioCeiling, ioCeiling
	o.ContextTimeoutEnabled = true
	o.PoolSize, o.MaxIdleConns = 2, 2
	o.PipelinePoolSize = -1
	o.Protocol = 2
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	c := redis.NewClient(&o)
	if p.opts.hook != nil {
		c.AddHook(p.opts.hook)
	}
	return c
}

// resetLevel says how much connection state a failure invalidates.
type resetLevel int

const (
	resetNone resetLevel = iota
	// resetPubSub drops the subscription; the next round subscribes again.
	resetPubSub
	// resetAll also drops the client. go-redis's pool trips a dial circuit
	// breaker after PoolSize failed dials and then re-dials only once a
	// second in the background, so a Redis that came back would still be
	// reported down; a fresh client after a failure costs nothing, since
	// there is no healthy connection to keep.
	resetAll
)

func (p *RedisProbe) resetLocked(level resetLevel) {
	if level >= resetPubSub && p.sub != nil {
		_ = p.sub.Close() // closes the socket; errors only if already closed
		p.sub = nil
	}
	if level >= resetAll && p.client != nil {
		_ = p.client.Close() // closes sockets without talking to Redis
		p.client = nil
	}
}

// sanitize removes the URL and the password from s, in case a library error
// ever quotes them.
func (p *RedisProbe) sanitize(s string) string {
	if u := p.opts.URL.Value(); u != "" {
		s = strings.ReplaceAll(s, u, p.display)
	}
	if len(p.password) >= 4 { // shorter ones would mangle ordinary words
		s = strings.ReplaceAll(s, p.password, spec.Masked)
	}
	return s
}

// withDefaultDeadline gives ctx a deadline when it has none.
func withDefaultDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, spec.DefaultProbeTimeout)
}

// remaining is the time left before ctx's deadline (at least 1ns, so that a
// go-redis timeout argument never means "no timeout").
func remaining(ctx context.Context) time.Duration {
	dl, _ := ctx.Deadline()
	if d := time.Until(dl); d > 0 {
		return d
	}
	return time.Nanosecond
}
