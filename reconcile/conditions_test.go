package reconcile

import (
	"testing"
	"time"

	"github.com/smartlic/reconciler/probes"
)

// The RedisHealthy message shows used_memory the way the probe's own
// messages do (IEC units), whatever the byte count.
func TestRedisConditionMessage(t *testing.T) {
	round := probes.Round{Redis: probes.VerdictHealthy, Checks: []probes.Check{
		{Name: "redis", Kind: probes.KindRedis, OK: true, Latency: 400 * time.Microsecond, UsedMemory: 3_000_123},
	}}
	if got, want := redisCondition(round).Message, "PING 0.4ms, used_memory 2.9MiB"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}
