package reconcile

import (
	"fmt"
	"slices"
	"time"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// maxMinRolledBack caps the tripling of minRolledBack after failed roll
// forwards (CONTRACT section 5), unless the spec's own value is larger.
const maxMinRolledBack = 30 * time.Minute

// InputKind is what happened to the health machine.
type InputKind int

// Inputs of the health machine.
const (
	// InputRound is one probe round.
	InputRound InputKind = iota
	// InputBound says the consumers now carry the declared variables.
	InputBound
	// InputManualRollback is `reconciler rollback --reason`.
	InputManualRollback
	// InputManualRollForward is `reconciler rollforward`.
	InputManualRollForward
)

// Input is one event fed to Step.
type Input struct {
	Kind InputKind
	// Round: Healthy, or Inconclusive (the round could not tell: it counts
	// for nothing), with Reason the Redis-side failure when unhealthy.
	Healthy      bool
	Inconclusive bool
	Reason       string
	// Known is false while Railway observations fail (phase Unknown): the
	// machine may still roll back, but never rolls forward on a guess.
	Known bool
	// Text is the reason a person gave to a manual rollback.
	Text string
}

// DecisionKind is an action the machine asks the reconciler to carry out.
type DecisionKind int

// Decisions.
const (
	// DecideRollback: write the rollback variables and deploy every consumer.
	DecideRollback DecisionKind = iota + 1
	// DecideRollForward: restore the declared variables and deploy.
	DecideRollForward
)

// Decision is an action decided by Step, with a human reason.
type Decision struct {
	Kind   DecisionKind
	Reason string
}

// Step is the health state machine of CONTRACT section 5: a pure function
// of the machine's state, the rollback policy, one input and the time. It
// returns the new state, the actions to carry out, and the transitions to
// record (each exactly once). h is not modified.
func Step(h state.Health, cfg spec.Rollback, in Input, now time.Time) (state.Health, []Decision, []state.Event) {
	h.Rollbacks = slices.Clone(h.Rollbacks)
	if h.MinRolledBack == 0 {
		h.MinRolledBack = cfg.MinRolledBack
	}
	m := machine{h: h, cfg: cfg, now: now}
	switch in.Kind {
	case InputRound:
		m.round(in)
	case InputBound:
		m.bound()
	case InputManualRollback:
		m.manualRollback(in.Text)
	case InputManualRollForward:
		m.manualRollForward()
	}
	return m.h, m.decisions, m.events
}

type machine struct {
	h         state.Health
	cfg       spec.Rollback
	now       time.Time
	decisions []Decision
	events    []state.Event
}

func (m *machine) emit(typ, format string, args ...any) {
	m.events = append(m.events, state.Event{At: m.now.UTC(), Type: typ, Message: fmt.Sprintf(format, args...)})
}

func (m *machine) decide(kind DecisionKind, reason string) {
	m.decisions = append(m.decisions, Decision{Kind: kind, Reason: reason})
}

func (m *machine) round(in Input) {
	if in.Inconclusive {
		return
	}
	if in.Healthy {
		m.healthyRound(in.Known)
	} else {
		m.unhealthyRound(in.Reason)
	}
}

func (m *machine) healthyRound(known bool) {
	h := &m.h
	wasUnhealthy := h.Unhealthy
	if h.Healthy == 0 {
		h.HealthySince = m.now.UTC()
	}
	h.Healthy++
	h.Unhealthy = 0
	h.LastRound = "healthy"
	h.Unproven = false
	switch h.Mode {
	case state.Bound:
		if wasUnhealthy > 0 {
			m.emit(state.EventRecovered, "redis healthy again after %s", plural(wasUnhealthy, "unhealthy round"))
		}
	case state.ModeRolledBack:
		if h.Healthy == 1 {
			m.emit(state.EventRecovering, "redis healthy again; rolling forward after %s and %s rolled back",
				plural(m.cfg.RecoveryThreshold, "healthy round"), h.MinRolledBack)
		}
		m.maybeRollForward(known)
	}
}

func (m *machine) maybeRollForward(known bool) {
	h := &m.h
	if !m.cfg.Enabled || !known || h.Healthy < m.cfg.RecoveryThreshold {
		return
	}
	if m.now.Sub(h.RolledBackAt) < h.MinRolledBack {
		return
	}
	reason := fmt.Sprintf("roll forward: %s over %s", plural(h.Healthy, "healthy round"), spec.FormatDuration(m.now.Sub(h.HealthySince).Round(time.Second)))
	m.rollForward(reason)
}

func (m *machine) rollForward(reason string) {
	h := &m.h
	h.Mode = state.Bound
	h.RolledForwardAt = m.now.UTC()
	h.Unproven = true
	h.HoldReason = ""
	h.Decision = reason
	m.decide(DecideRollForward, reason)
	m.emit(state.EventRolledForward, "%s", reason)
}

func (m *machine) unhealthyRound(reason string) {
	h := &m.h
	wasHealthy := h.Healthy
	h.Unhealthy++
	h.Healthy = 0
	h.HealthySince = time.Time{}
	h.LastRound = "unhealthy"
	h.LastReason = reason
	switch h.Mode {
	case state.Bound:
		if h.Unhealthy == 1 {
			m.emit(state.EventDegraded, "redis unhealthy: %s", reason)
		}
		if m.cfg.Enabled && h.Unhealthy >= m.cfg.FailureThreshold {
			m.rollback(fmt.Sprintf("roll back: %s (%s)", plural(h.Unhealthy, "unhealthy round"), reason))
		}
	case state.ModeRolledBack:
		if wasHealthy > 0 {
			m.emit(state.EventRecoveryInterrupted, "redis unhealthy again after %s: %s", plural(wasHealthy, "healthy round"), reason)
		}
	}
}

// rollback applies the automatic rollback, tripping the flap guard when
// maxRollbacks rollbacks already happened inside the window.
func (m *machine) rollback(reason string) {
	h := &m.h
	cutoff := m.now.Add(-m.cfg.RollbackWindow)
	h.Rollbacks = slices.DeleteFunc(h.Rollbacks, func(t time.Time) bool { return !t.After(cutoff) })
	switch {
	case h.Unproven:
		h.MinRolledBack = min(h.MinRolledBack*3, max(maxMinRolledBack, m.cfg.MinRolledBack))
	case len(h.Rollbacks) == 0:
		h.MinRolledBack = m.cfg.MinRolledBack
	}
	held := len(h.Rollbacks) >= m.cfg.MaxRollbacks
	h.Rollbacks = append(h.Rollbacks, m.now.UTC())
	h.RolledBackAt = m.now.UTC()
	h.Unhealthy, h.Healthy, h.Unproven = 0, 0, false
	h.Decision = reason
	m.decide(DecideRollback, reason)
	if held {
		h.Mode = state.ModeHeld
		h.HoldReason = fmt.Sprintf("flap guard: %s within %s", plural(len(h.Rollbacks), "rollback"), m.cfg.RollbackWindow)
		m.emit(state.EventHeld, "%s; %s; run `reconciler rollforward` to leave", reason, h.HoldReason)
		return
	}
	h.Mode = state.ModeRolledBack
	m.emit(state.EventRolledBack, "%s", reason)
}

func (m *machine) bound() {
	if m.h.Mode == state.Unbound {
		m.h.Mode = state.Bound
		m.emit(state.EventBound, "consumers bound to redis")
	}
}

func (m *machine) manualRollback(text string) {
	h := &m.h
	reason := "manual rollback: " + text
	if h.Mode != state.ModeRolledBack && h.Mode != state.ModeHeld {
		h.RolledBackAt = m.now.UTC()
	}
	h.Mode = state.ModeHeld
	h.HoldReason = reason
	h.Healthy, h.Unhealthy, h.Unproven = 0, 0, false
	h.Decision = reason
	m.decide(DecideRollback, reason)
	m.emit(state.EventHeld, "%s; run `reconciler rollforward` to leave", reason)
}

func (m *machine) manualRollForward() {
	if m.h.Mode != state.ModeRolledBack && m.h.Mode != state.ModeHeld {
		return
	}
	m.h.Healthy, m.h.Unhealthy = 0, 0
	m.rollForward("manual roll forward")
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
