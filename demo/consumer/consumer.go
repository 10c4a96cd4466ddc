// Package consumer is the demo's sample consumer app: a stand-in for the
// SmartLic backend (a Python service with two workers and optional Redis
// support), small enough to run inside `reconciler demo`.
//
// Like the real backend it is configured by its environment at start:
// Restart is called with the rendered variables of each simulated
// deployment. With REDIS_URL set it opens a go-redis pool (at most
// MaxConnections) and logs "Redis pool connected: host:port
// (max_connections=20)"; with REDIS_URL empty or unset it logs "Redis not
// configured: using in-memory cache". When Redis goes away it keeps serving:
// the cache falls back to an in-process map and /v1/health says
// "unavailable" (still 200: the app is fine, its Redis is not).
//
// HTTP:
//
//	GET /v1/health       {"status":"ok","redis":"connected"|"unavailable"|"disabled",
//	                      "redis_connected":bool,"redis_latency_ms":float,
//	                      "redis_memory_used_mb":float,"cache":"redis"|"memory","workers":2}
//	GET /v1/cache/{key}  {"key":..,"value":..,"source":"redis"|"memory"}, 404 when absent
//	PUT /v1/cache/{key}  stores the request body (at most 64 KiB) for CacheTTL
package consumer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Defaults.
const (
	// DefaultMaxConnections is the Redis pool size, as the backend's.
	DefaultMaxConnections = 20
	// DefaultWorkers is the number of workers the backend reports.
	DefaultWorkers = 2
	// DefaultRedisTimeout bounds every Redis call the app makes, so that a
	// dead Redis costs a health check or a cache read this long at most.
	DefaultRedisTimeout = 250 * time.Millisecond
	// DefaultCacheTTL is how long a cached value lives.
	DefaultCacheTTL = 5 * time.Minute
)

// Redis modes, as /v1/health reports them.
const (
	RedisConnected   = "connected"
	RedisUnavailable = "unavailable"
	RedisDisabled    = "disabled"
)

// Log lines the app writes at start (the spec's log expectation looks for
// LinePoolConnected).
const (
	LinePoolConnected = "Redis pool connected"
	LineNotConfigured = "Redis not configured: using in-memory cache"
)

// Options configure an App. The zero value is usable.
type Options struct {
	// Addr is the HTTP listen address; default "127.0.0.1:0".
	Addr string
	// MaxConnections is the Redis pool size; default DefaultMaxConnections.
	MaxConnections int
	// Workers is reported on /v1/health; default DefaultWorkers.
	Workers int
	// RedisTimeout bounds every Redis call; default DefaultRedisTimeout.
	RedisTimeout time.Duration
	// CacheTTL is the lifetime of a cached value; default DefaultCacheTTL.
	CacheTTL time.Duration
	// Logger receives the app's own diagnostics; nop when nil.
	Logger *zap.Logger
	// Now is the clock of the in-memory cache; time.Now when nil.
	Now func() time.Time
}

// App is a running consumer app. Its methods are safe for concurrent use.
type App struct {
	opts Options
	log  *zap.Logger
	ln   net.Listener
	srv  *http.Server
	mem  *memCache

	mu    sync.Mutex
	redis *redis.Client // nil: REDIS_URL empty
	addr  string        // host:port of the pool, for messages
}

// New starts the app's HTTP server, not yet configured (as if REDIS_URL were
// empty, without a log line); call Restart with a deployment's variables.
func New(opts Options) (*App, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.MaxConnections <= 0 {
		opts.MaxConnections = DefaultMaxConnections
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.RedisTimeout <= 0 {
		opts.RedisTimeout = DefaultRedisTimeout
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("consumer: listening: %w", err)
	}
	a := &App{opts: opts, log: opts.Logger.Named("consumer"), ln: ln, mem: newMemCache(opts.Now)}
	a.srv = &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("consumer http server stopped", zap.Error(err))
		}
	}()
	return a, nil
}

// URL is the app's base URL, e.g. "http://127.0.0.1:41234".
func (a *App) URL() string { return "http://" + a.ln.Addr().String() }

// HealthURL is the app's health endpoint.
func (a *App) HealthURL() string { return a.URL() + "/v1/health" }

// Restart applies a deployment's variables as the app would at start: it
// drops its Redis pool, opens a new one when REDIS_URL is set, and returns
// the lines it logged. A Redis that does not answer at start is logged and
// the app serves from its in-memory cache (go-redis keeps trying on use).
// The lines never hold the Redis password.
func (a *App) Restart(ctx context.Context, vars map[string]string) []string {
	lines := []string{fmt.Sprintf("Starting backend with %d workers", a.opts.Workers)}
	raw := strings.TrimSpace(vars["REDIS_URL"])
	if raw == "" {
		a.swap(nil, "")
		return append(lines, LineNotConfigured)
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		// The parse error may quote the URL, password included: drop it.
		a.swap(nil, "")
		return append(lines, "Redis misconfigured: REDIS_URL does not parse; using in-memory cache")
	}
	a.tune(o)
	client := redis.NewClient(o)
	a.swap(client, o.Addr)
	pctx, cancel := context.WithTimeout(ctx, a.opts.RedisTimeout*2)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		return append(lines, fmt.Sprintf("Redis unavailable at %s: %s; using in-memory cache", o.Addr, reason(err)))
	}
	return append(lines, fmt.Sprintf("%s: %s (max_connections=%d)", LinePoolConnected, o.Addr, a.opts.MaxConnections))
}

// tune sets the pool's size and timeouts: calls fail fast, so a dead Redis
// turns into an in-memory fallback instead of a hung request.
func (a *App) tune(o *redis.Options) {
	o.PoolSize = a.opts.MaxConnections
	o.MaxRetries = -1
	o.DialerRetries = 1
	o.DialTimeout = a.opts.RedisTimeout
	o.ReadTimeout, o.WriteTimeout = a.opts.RedisTimeout, a.opts.RedisTimeout
	o.PoolTimeout = a.opts.RedisTimeout
	o.ContextTimeoutEnabled = true
	o.Protocol = 2
	o.DisableIdentity = true
}

// swap replaces the Redis pool, closing the old one.
func (a *App) swap(c *redis.Client, addr string) {
	a.mu.Lock()
	old := a.redis
	a.redis, a.addr = c, addr
	a.mu.Unlock()
	if old != nil {
		_ = old.Close() // a pool being dropped: its errors change nothing
	}
}

// client returns the current Redis pool, nil when Redis is not configured.
func (a *App) client() *redis.Client {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.redis
}

// Close stops the HTTP server and drops the Redis pool.
func (a *App) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	a.swap(nil, "")
	return err
}

// reason is a short, secret-free description of a Redis error: a server
// error (e.g. WRONGPASS) never quotes the password, and neither does a dial
// error on a host:port.
func reason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	return err.Error()
}
