package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func open(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, Options{Logger: zaptest.NewLogger(t), Now: func() time.Time { return t0 }, Holder: "reconciler test"})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSaveLoadRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "state.json")
	s := open(t, path)
	st, info, err := s.Load("prod")
	if err != nil || !info.Fresh || st.Phase != Pending || st.Health.Mode != Unbound {
		t.Fatalf("fresh load = %+v, %+v, %v", st, info, err)
	}
	st.Health.Mode = ModeRolledBack
	st.Addon.ServiceID = "svc_1"
	st.TrackDeploy("backend", &Deploy{ServiceID: "svc_2", Reason: "variables changed", Intent: t0})
	st.SetCondition(Condition{Type: CondReady, Status: False, Reason: "RolledBack"}, t0)
	st.AddEvent(Event{At: t0, Type: "RolledBack", Message: "3 unhealthy rounds"})
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Health.Mode != ModeRolledBack || got.Addon.ServiceID != "svc_1" || got.DeployFor("backend").ServiceID != "svc_2" ||
		len(got.Events) != 1 || len(got.Conds) != 1 {
		t.Fatalf("round trip lost data: %+v", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("state mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temp file left behind: %s", e.Name())
		}
	}
}

func TestSecondOpenIsLockedAndNamesTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	open(t, path)
	_, err := Open(path, Options{Holder: "second"})
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want *LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.Command != "reconciler test" {
		t.Fatalf("holder = %+v", le.Holder)
	}
	if !strings.Contains(err.Error(), "reconciler test") || !strings.Contains(err.Error(), "pid") {
		t.Fatalf("error does not say who holds the lock: %v", err)
	}
	if h, held := ReadHolder(path); !held || h.Command != "reconciler test" {
		t.Fatalf("ReadHolder = %+v, %v", h, held)
	}
}

func TestLockReleasedOnClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, held := ReadHolder(path); held {
		t.Fatal("lock still held after Close")
	}
	open(t, path)
}

func TestCorruptStateIsMovedAside(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":   "{not json",
		"truncated": `{"version":1,"phase":"Healthy"`,
		"version":   `{"version":0,"phase":"Healthy","health":{"mode":"Bound"}}`,
		"empty":     "",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := open(t, path)
			st, info, err := s.Load("prod")
			if err != nil {
				t.Fatal(err)
			}
			if st.Phase != Unknown || !info.Fresh {
				t.Fatalf("phase = %s, fresh = %v; want Unknown, fresh", st.Phase, info.Fresh)
			}
			want := path + ".corrupt-20261125T100000Z"
			if info.CorruptMovedTo != want {
				t.Fatalf("moved to %q, want %q", info.CorruptMovedTo, want)
			}
			if b, err := os.ReadFile(want); err != nil || string(b) != content {
				t.Fatalf("corrupt file not preserved: %v", err)
			}
		})
	}
}

func TestReadMissing(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "none.json"))
	if !errors.Is(err, ErrNoState) {
		t.Fatalf("Read = %v, want ErrNoState", err)
	}
}

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

func TestNewerStateIsRefusedNotMovedAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	doc := `{"version":99,"phase":"Held","health":{"mode":"Held"}}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if _, _, err := s.Load("prod"); !errors.Is(err, ErrNewerState) || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("Load = %v, want ErrNewerState", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != doc {
		t.Fatalf("the newer state was touched: %v", err)
	}
}
