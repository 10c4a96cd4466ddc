package probes

import (
	"context"
	"testing"
	"time"

	"github.com/smartlic/reconciler/spec"
)

// BenchmarkRedisRound measures one healthy probe round against a real
// redis-server on loopback (PING, INFO, pub/sub round trip; no endpoints),
// and reports the Redis round trips it costs: the target is 3 (PING, INFO,
// PUBLISH), with no dial once the connections are open.
func BenchmarkRedisRound(b *testing.B) {
	s := startRedis(b)
	h := &countingHook{}
	p := NewProber(Options{})
	p.hook = h
	defer p.Close()
	cfg := RoundConfig{Name: "bench", RedisURL: spec.NewSecret(s.URL()), Health: spec.Health{
		ProbeTimeout: time.Second,
		Redis:        spec.RedisHealth{MaxLatency: time.Second, MaxMemory: 1 << 30, PubSub: true},
	}}
	ctx := context.Background()
	if r := p.Round(ctx, cfg); r.Addon != VerdictHealthy { // connects and subscribes
		b.Fatalf("warm-up round: %v (%s)", r.Addon, r.Reason)
	}
	h.roundTrips.Store(0)
	h.dials.Store(0)
	b.ReportAllocs()
	for b.Loop() {
		if r := p.Round(ctx, cfg); r.Addon != VerdictHealthy {
			b.Fatalf("round: %v (%s)", r.Addon, r.Reason)
		}
	}
	b.ReportMetric(float64(h.roundTrips.Load())/float64(b.N), "roundtrips/op")
	b.ReportMetric(float64(h.dials.Load())/float64(b.N), "dials/op")
}
