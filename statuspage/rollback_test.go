package statuspage

import (
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

func TestRollForwardIsExplained(t *testing.T) {
	cfg := spec.Rollback{Enabled: true, FailureThreshold: 3, RecoveryThreshold: 12, MinRolledBack: 5 * time.Minute,
		MaxRollbacks: 3, RollbackWindow: time.Hour}
	rb := func(healthy int, ago time.Duration) state.Health {
		return state.Health{Mode: state.ModeRolledBack, Healthy: healthy, RolledBackAt: t0.Add(-ago), MinRolledBack: 5 * time.Minute}
	}
	tests := []struct {
		name  string
		h     state.Health
		cfg   func(*spec.Rollback)
		every time.Duration
		want  string
	}{
		{"bound", state.Health{Mode: state.Bound}, nil, 0, "Not rolled back."},
		{"still unhealthy", rb(0, time.Minute), nil, 0,
			"After 12 healthy rounds in a row (Redis is still unhealthy), and not before in 4m (5m rolled back at least)."},
		{"recovering, min time to go", rb(4, time.Minute), nil, 5 * time.Second,
			"After 8 more healthy rounds, and not before in 4m (5m rolled back at least); expected in 4m if Redis stays healthy."},
		{"recovering, rounds to go", rb(10, time.Hour), nil, 5 * time.Second,
			"After 2 more healthy rounds; expected in 10s if Redis stays healthy."},
		{"rounds done, time to go", rb(12, 4*time.Minute), nil, 0,
			"Redis has been healthy for 12 healthy rounds; rolling forward in 1m, once 5m rolled back."},
		{"due", rb(12, time.Hour), nil, 0, "At the next healthy round (Railway must be readable)."},
		{"held", state.Health{Mode: state.ModeHeld, RolledBackAt: t0.Add(-time.Hour)}, nil, 0, "Never by itself"},
		{"disabled", rb(3, time.Hour), func(c *spec.Rollback) { c.Enabled = false }, 0, "automatic roll forward is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			if tt.cfg != nil {
				tt.cfg(&c)
			}
			got := buildRollback(View{Health: tt.h, Rollback: c, ProbeEvery: tt.every}, t0).Forward
			if !strings.Contains(got, tt.want) {
				t.Errorf("roll forward = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRollbacksWithinTheWindow(t *testing.T) {
	v := rolledBackView()
	v.Health.Rollbacks = []time.Time{t0.Add(-2 * time.Hour), t0.Add(-50 * time.Minute), t0.Add(-10 * time.Minute), t0.Add(-time.Minute)}
	m := buildRollback(v, t0)
	if m.InWindow != 3 || m.Max != 3 || m.Window != "1h" || !m.GuardNext {
		t.Errorf("rollbacks %d of %d in %s, guard next %v; want 3 of 3 in 1h, the next one holds", m.InWindow, m.Max, m.Window, m.GuardNext)
	}
	if m.Earliest.Abs != "2026-11-25 10:03:00 UTC" {
		t.Errorf("earliest roll forward = %q, want rolledBackAt + minRolledBack", m.Earliest.Abs)
	}
}
