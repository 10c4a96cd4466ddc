package statuspage

import (
	"fmt"
	"time"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// ClearHold is the command that leaves Held (CONTRACT section 2).
const ClearHold = "reconciler rollforward"

// rollbackModel is the rollback part of a unit's page.
type rollbackModel struct {
	Mode    string
	Enabled bool
	// InWindow rollbacks happened within Window; the (Max+1)-th holds.
	InWindow int
	Max      int
	Window   string
	// GuardNext is true when the next automatic rollback would hold.
	GuardNext bool
	Held      bool
	Reason    string
	// Clear is the command that leaves Held.
	Clear        string
	RolledBackAt stamp
	RolledFwdAt  stamp
	// Forward says when a roll forward can happen, in a sentence.
	Forward string
	// Healthy and Need are the healthy rounds so far and required.
	Healthy, Need int
	// MinRolledBack is the least time rolled back for this attempt.
	MinRolledBack string
	// Earliest is the earliest roll forward (zero when not rolled back).
	Earliest stamp
}

// buildRollback computes the rollback state from the health machine and
// the spec's rollback policy (the rules of CONTRACT section 5).
func buildRollback(v View, now time.Time) rollbackModel {
	h, cfg := v.Health, v.Rollback
	m := rollbackModel{
		Mode: string(h.Mode), Enabled: cfg.Enabled, Max: cfg.MaxRollbacks, Window: spec.FormatDuration(cfg.RollbackWindow),
		InWindow: rollbacksWithin(h.Rollbacks, now, cfg.RollbackWindow), Held: h.Mode == state.ModeHeld,
		Clear: ClearHold, RolledBackAt: stampOf(h.RolledBackAt, now), RolledFwdAt: stampOf(h.RolledForwardAt, now),
		Healthy: h.Healthy, Need: cfg.RecoveryThreshold, Reason: clean(h.Decision),
	}
	if m.Mode == "" {
		m.Mode = string(state.Unbound)
	}
	m.GuardNext = cfg.Enabled && m.InWindow >= cfg.MaxRollbacks
	if m.Held {
		m.Reason = clean(h.HoldReason)
	}
	minRB := h.MinRolledBack
	if minRB == 0 {
		minRB = cfg.MinRolledBack
	}
	m.MinRolledBack = spec.FormatDuration(minRB)
	if h.Mode == state.ModeRolledBack || h.Mode == state.ModeHeld {
		m.Earliest = stampOf(h.RolledBackAt.Add(minRB), now)
	}
	m.Forward = forwardText(h, cfg, minRB, v.ProbeEvery, now)
	return m
}

// rollbacksWithin counts the rollbacks after now-window.
func rollbacksWithin(ts []time.Time, now time.Time, window time.Duration) int {
	n := 0
	for _, t := range ts {
		if t.After(now.Add(-window)) {
			n++
		}
	}
	return n
}

// forwardText says when a roll forward can happen.
func forwardText(h state.Health, cfg spec.Rollback, minRB, every time.Duration, now time.Time) string {
	switch h.Mode {
	case state.ModeHeld:
		return "Never by itself: only a person's roll forward leaves Held (it restores the declared variables and redeploys)."
	case state.ModeRolledBack:
	default:
		return "Not rolled back."
	}
	if !cfg.Enabled {
		return "Never by itself: automatic roll forward is off (rollback.enabled: false); roll forward by hand."
	}
	minAt := h.RolledBackAt.Add(minRB)
	wait := ""
	if now.Before(minAt) {
		wait = fmt.Sprintf(", and not before %s (%s rolled back at least)", stampOf(minAt, now).Rel, spec.FormatDuration(minRB))
	}
	left := max(cfg.RecoveryThreshold-h.Healthy, 0)
	switch {
	case h.Healthy == 0:
		return fmt.Sprintf("After %s in a row (Redis is still unhealthy)%s.", rounds(cfg.RecoveryThreshold), wait)
	case left == 0 && wait == "":
		return "At the next healthy round (Railway must be readable)."
	case left == 0:
		return fmt.Sprintf("Redis has been healthy for %s; rolling forward %s, once %s rolled back.",
			rounds(h.Healthy), stampOf(minAt, now).Rel, spec.FormatDuration(minRB))
	}
	s := fmt.Sprintf("After %s%s", moreRounds(left), wait)
	if every > 0 {
		at := now.Add(time.Duration(left) * every)
		at = later(at, minAt)
		s += fmt.Sprintf("; expected %s if Redis stays healthy", stampOf(at, now).Rel)
	}
	return s + "."
}

func rounds(n int) string {
	if n == 1 {
		return "1 healthy round"
	}
	return fmt.Sprintf("%d healthy rounds", n)
}

func moreRounds(n int) string {
	if n == 1 {
		return "1 more healthy round"
	}
	return fmt.Sprintf("%d more healthy rounds", n)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
