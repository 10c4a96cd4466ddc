package reconcile

import (
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// summarize is the one place that sets conditions and the phase, after a
// pass (obs set), a round (round set) or a manual command (neither).
func (r *Reconciler) summarize(sp *spec.Spec, obs *Observed, round *probes.Round, err error, now time.Time) {
	st := r.o.st
	if obs != nil && r.o.lastPlan != nil {
		st.Drift, st.Blocked = r.o.lastPlan.Drift, r.o.lastPlan.Blocked
	}
	if obs != nil && obs.Err == nil {
		st.SetCondition(addonReadyCondition(sp, obs), now)
		st.SetCondition(variablesCondition(st.Drift), now)
	} else if obs != nil {
		st.SetCondition(state.Condition{Type: state.CondVariablesInSync, Status: state.UnknownStatus,
			Reason: state.ReasonObservationFailed, Message: obs.Err.Error()}, now)
	}
	if round != nil {
		st.SetCondition(addonCondition(r.opts.Addon, *round), now)
	}
	st.SetCondition(consumersCondition(st), now)
	st.SetCondition(rolledBackCondition(st.Health), now)
	provisioning := len(st.Deploys) > 0 || len(st.Owed) > 0 || r.o.lastPlan != nil && len(r.o.lastPlan.Waiting) > 0
	r.setPhase(derivePhase(st.Health, phaseView{Obs: r.o.obs, Provisioning: provisioning}), now)
	st.SetCondition(readyCondition(st, err), now)
}

func (r *Reconciler) setPhase(p state.Phase, now time.Time) {
	from := r.o.st.Phase
	if !r.o.st.SetPhase(p, now) {
		return
	}
	reason := r.phaseReason(p)
	fields := []zap.Field{zap.String("from", string(from)), zap.String("to", string(p)), zap.String("reason", reason)}
	switch {
	case r.opts.Store == nil:
		// A dry run (plan, report) moves a phase in memory only: nothing
		// changed in the world, so nothing to tell an operator.
		r.log.Debug("phase changed (dry run)", fields...)
	case p == state.Degraded, p == state.RolledBack, p == state.Held, p == state.Unknown:
		r.log.Warn("phase changed", fields...)
	default:
		r.log.Info("phase changed", fields...)
	}
	if r.opts.Hooks.Phase != nil {
		r.opts.Hooks.Phase(from, p, reason)
	}
}

func addonReadyCondition(sp *spec.Spec, obs *Observed) state.Condition {
	c := state.Condition{Type: state.CondAddonReady, Status: state.False}
	a, name := obs.Addon, sp.Addon.Service
	switch {
	case obs.AddonConflict != "":
		c.Reason, c.Message = state.ReasonNameConflict, obs.AddonConflict
	case a == nil && obs.Workflow != nil:
		c.Reason, c.Message = state.ReasonCreating, fmt.Sprintf("%s: template deployment %s", name, obs.Workflow.Status)
	case a == nil:
		c.Reason, c.Message = state.ReasonNotFound, fmt.Sprintf("%s not found in %s", name, sp.Railway.Environment)
	case a.LatestDeployment == nil:
		c.Reason, c.Message = state.ReasonNotDeployed, fmt.Sprintf("%s (%s) has no deployment", name, a.ServiceID)
	case a.LatestDeployment.Status.Good():
		c.Status, c.Reason = state.True, state.ReasonFound
		c.Message = fmt.Sprintf("%s (%s) %s", name, a.ServiceID, a.LatestDeployment.Status)
	case a.LatestDeployment.Status.InProgress():
		c.Reason, c.Message = state.ReasonDeploying, fmt.Sprintf("%s (%s) %s", name, a.ServiceID, a.LatestDeployment.Status)
	default:
		c.Reason, c.Message = state.ReasonDeployFailed, fmt.Sprintf("%s (%s) %s", name, a.ServiceID, a.LatestDeployment.Status)
	}
	return c
}

func variablesCondition(drift []state.DriftItem) state.Condition {
	var diffs []string
	for _, d := range drift {
		if d.Kind == DriftVariable {
			diffs = append(diffs, d.Service+" "+d.Name)
		}
	}
	if len(diffs) == 0 {
		return state.Condition{Type: state.CondVariablesInSync, Status: state.True, Reason: state.ReasonInSync, Message: "every consumer carries the desired variables"}
	}
	return state.Condition{Type: state.CondVariablesInSync, Status: state.False, Reason: state.ReasonDrift,
		Message: "differs: " + strings.Join(diffs, ", ")}
}

// addonCondition is the addon's health condition (RedisHealthy) after a
// round.
func addonCondition(k addon.Kind, round probes.Round) state.Condition {
	c := state.Condition{Type: k.Condition}
	switch round.Addon {
	case probes.VerdictHealthy:
		c.Status, c.Reason = state.True, state.ReasonProbesPassing
		if rc, ok := addonCheck(round); ok {
			c.Message = fmt.Sprintf("PING %.1fms, used_memory %s", float64(rc.Latency.Microseconds())/1000, probes.FormatBytes(rc.UsedMemory))
		}
	case probes.VerdictUnhealthy:
		c.Status, c.Reason, c.Message = state.False, state.ReasonProbeFailed, round.Reason
	default:
		c.Status, c.Reason, c.Message = state.UnknownStatus, state.ReasonInconclusive, round.Reason
	}
	return c
}

func consumersCondition(st *state.State) state.Condition {
	c := state.Condition{Type: state.CondConsumersHealthy, Status: state.True, Reason: state.ReasonHealthy, Message: "consumers healthy"}
	if p := st.LastProbe; p != nil {
		for _, chk := range p.Checks {
			if !chk.OK && strings.HasPrefix(chk.Name, "endpoint/") && chk.Step != probes.StepExpect {
				c.Status, c.Reason, c.Message = state.False, state.ReasonEndpointFailed, chk.Name+": "+chk.Message
				return c
			}
		}
	}
	for _, d := range st.Drift {
		switch d.Kind {
		case DriftDeploy:
			c.Status, c.Reason, c.Message = state.False, state.ReasonDeployFailed, d.Message
			return c
		case DriftLog:
			c.Status, c.Reason, c.Message = state.False, state.ReasonLogMissing, d.Service+": "+d.Message
			return c
		}
	}
	return c
}

func rolledBackCondition(h state.Health) state.Condition {
	c := state.Condition{Type: state.CondRolledBack, Status: state.False, Reason: state.ReasonNotRolledBack, Message: "declared variables in effect"}
	switch h.Mode {
	case state.ModeRolledBack:
		c.Status, c.Reason, c.Message = state.True, state.ReasonAutomatic, h.Decision
	case state.ModeHeld:
		c.Status, c.Reason, c.Message = state.True, state.ReasonHeld, h.HoldReason
	}
	return c
}

func readyCondition(st *state.State, err error) state.Condition {
	c := state.Condition{Type: state.CondReady, Status: state.False, Reason: string(st.Phase)}
	switch {
	case err != nil && Classify(err) == ClassPermanent:
		c.Reason, c.Message = reasonOf(err), spec.RedactURLsIn(err.Error())
	case err != nil:
		c.Reason, c.Message = reasonOf(err), spec.RedactURLsIn(err.Error())+" (retrying)"
	case len(st.Blocked) > 0:
		c.Reason, c.Message = state.ReasonBlocked, st.Blocked[0]
	case st.Phase == state.Healthy && len(st.Drift) == 0:
		c.Status, c.Reason, c.Message = state.True, state.ReasonReconciled, "in sync and healthy"
	default:
		c.Message = "phase " + string(st.Phase)
	}
	return c
}

// phaseReason says why the phase is p: the decision, hold or failure behind
// it, else the latest event.
func (r *Reconciler) phaseReason(p state.Phase) string {
	h := r.o.st.Health
	switch {
	case p == state.Unknown:
		return r.o.st.Observed.Error
	case p == state.Held:
		return h.HoldReason
	case p == state.RolledBack && h.Decision != "":
		return h.Decision
	case p == state.Degraded:
		return "redis unhealthy: " + h.LastReason
	case len(r.o.st.Events) > 0:
		return r.o.st.Events[len(r.o.st.Events)-1].Message
	}
	return ""
}
