package state

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestConditionTransitionTime(t *testing.T) {
	st := New("prod", t0)
	st.SetCondition(Condition{Type: CondRedisHealthy, Status: True, Reason: "Healthy"}, t0)
	st.SetCondition(Condition{Type: CondReady, Status: True}, t0)
	st.SetCondition(Condition{Type: CondRedisHealthy, Status: True, Reason: "Healthy", Message: "PING 1ms"}, t0.Add(time.Minute))
	c, _ := st.Condition(CondRedisHealthy)
	if !c.LastTransitionTime.Equal(t0) || c.Message != "PING 1ms" {
		t.Fatalf("same status moved the transition time: %+v", c)
	}
	st.SetCondition(Condition{Type: CondRedisHealthy, Status: False, Reason: "ProbeFailed"}, t0.Add(2*time.Minute))
	c, _ = st.Condition(CondRedisHealthy)
	if !c.LastTransitionTime.Equal(t0.Add(2 * time.Minute)) {
		t.Fatalf("status change kept the old transition time: %+v", c)
	}
	if st.Conds[0].Type != CondReady {
		t.Fatalf("conditions not in contract order: %+v", st.Conds)
	}
}

func TestEventsBounded(t *testing.T) {
	st := New("prod", t0)
	for i := range MaxEvents + 50 {
		st.AddEvent(Event{At: t0.Add(time.Duration(i) * time.Second), Type: "X"})
	}
	if len(st.Events) != MaxEvents || !st.Events[0].At.Equal(t0.Add(50*time.Second)) {
		t.Fatalf("events = %d, first %v", len(st.Events), st.Events[0].At)
	}
	if got := st.EventsSince(t0.Add(240 * time.Second)); len(got) != 9 {
		t.Fatalf("EventsSince = %d events, want 9", len(got))
	}
}

func TestHealthSummaryQuantiles(t *testing.T) {
	var h HealthSummary
	for i := 1; i <= 100; i++ {
		h.Observe("healthy", time.Duration(i)*100*time.Microsecond, int64(i)<<20)
	}
	h.Observe("unhealthy", 0, 0)
	if h.Rounds != 101 || h.UnhealthyRounds != 1 || h.PeakUsedMemory != 100<<20 || h.MaxLatency != 10*time.Millisecond {
		t.Fatalf("summary = %+v", h)
	}
	p50, p95 := h.Quantile(0.5), h.Quantile(0.95)
	// True p50 is 5ms, p95 9.5ms; buckets are powers of two of 50µs.
	if p50 < 5*time.Millisecond || p50 > 10*time.Millisecond || p95 < 9500*time.Microsecond || p95 > 10*time.Millisecond {
		t.Fatalf("p50 = %s, p95 = %s", p50, p95)
	}
	if len(h.Latency) != latencyBuckets {
		t.Fatalf("summary is not bounded: %d buckets", len(h.Latency))
	}
}

func TestHolderStringNamesTheReplica(t *testing.T) {
	since := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		h    Holder
		want string
	}{
		{Holder{PID: 7, Host: "h1", Command: "reconciler run", Instance: "h1/7", Since: since},
			"pid 7 on h1 (reconciler run) since 2026-12-04T03:00:00Z"},
		{Holder{PID: 7, Host: "h1", Command: "reconciler run", Instance: "3f2a-replica", Since: since, Expires: since.Add(15 * time.Second)},
			"replica 3f2a-replica, pid 7 on h1 (reconciler run) since 2026-12-04T03:00:00Z, lease until 2026-12-04T03:00:15Z"},
	} {
		if got := c.h.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}
