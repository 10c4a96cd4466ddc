package probes

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/spec"
)

// probeTimeout is the per-probe budget of the tests: generous enough for a
// loaded 2-core machine running -race, small enough to keep hangs short.
const probeTimeout = 500 * time.Millisecond

// redisOpts returns probe options for s: pub/sub on, a lenient latency bound.
func redisOpts(t testing.TB, s *redisserver.Server) RedisOptions {
	return RedisOptions{
		Name:       "test",
		URL:        spec.NewSecret(s.URL()),
		MaxLatency: 250 * time.Millisecond,
		PubSub:     true,
		Logger:     zaptest.NewLogger(t),
	}
}

func newProbe(t testing.TB, opts RedisOptions) *RedisProbe {
	t.Helper()
	p, err := NewRedisProbe(opts)
	if err != nil {
		t.Fatalf("NewRedisProbe: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// probe runs one probe bounded by d.
func probe(t testing.TB, p *RedisProbe, d time.Duration) Check {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return p.Probe(ctx)
}

func mustOK(t testing.TB, c Check) {
	t.Helper()
	if !c.OK {
		t.Fatalf("check %s failed at %q: %s", c.Name, c.Step, c.Message)
	}
}

func mustFail(t testing.TB, c Check, step string) {
	t.Helper()
	if c.OK || c.Step != step {
		t.Fatalf("check %s: OK=%v step=%q (%s), want a failure at %q", c.Name, c.OK, c.Step, c.Message, step)
	}
}

// admin returns a plain client on s for preparing data and outages.
func admin(t testing.TB, s *redisserver.Server) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatalf("parse url: %v", err)
	}
	opt.MaxRetries = -1
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// countingHook counts Redis round trips (a pipeline is one) and dials.
type countingHook struct {
	roundTrips, dials atomic.Int64
}

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		h.dials.Add(1)
		return next(ctx, network, addr)
	}
}

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.roundTrips.Add(1)
		return next(ctx, cmd)
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.roundTrips.Add(1)
		return next(ctx, cmds)
	}
}

var _ redis.Hook = (*countingHook)(nil)

func startRedis(t testing.TB) *redisserver.Server { return redistest.Start(t) }
