package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/state"
	"go.uber.org/zap"
)

// The RedisHealthy message shows used_memory the way the probe's own
// messages do (IEC units), whatever the byte count.
func TestRedisConditionMessage(t *testing.T) {
	round := probes.Round{Addon: probes.VerdictHealthy, Checks: []probes.Check{
		{Name: "redis", Kind: probes.KindRedis, OK: true, Latency: 400 * time.Microsecond, UsedMemory: 3_000_123},
	}}
	if got, want := addonCondition(addon.Redis, round).Message, "PING 0.4ms, used_memory 2.9MiB"; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}

func TestRecordedEventsNeverQuoteURLSecrets(t *testing.T) {
	r := &Reconciler{o: owned{st: state.New("x", t0)}, log: zap.NewNop()}
	r.record(state.Event{At: t0, Type: state.EventDegraded, Message: "redis unhealthy: dial redis://default:hunter2@10.0.0.5:6379 refused"})
	if got := r.o.st.Events[0].Message; strings.Contains(got, "hunter2") || !strings.Contains(got, "redis://default:***@10.0.0.5:6379") {
		t.Fatalf("event message = %q", got)
	}
}
