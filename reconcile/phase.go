package reconcile

import "github.com/smartlic/reconciler/state"

// obsState is the outcome of the latest Railway observation.
type obsState int

const (
	obsNone   obsState = iota // not attempted yet in this process
	obsOK                     // the last observation succeeded
	obsFailed                 // the last observation failed
)

// phaseView is what the displayed phase depends on besides the machine.
type phaseView struct {
	Obs obsState
	// Provisioning: the addon is being created or is not up yet, or a deploy
	// the operator started is in progress.
	Provisioning bool
}

// derivePhase maps the health machine and the observation to the phase of
// CONTRACT section 5. Held wins over everything (only a person leaves it);
// Unknown wins over the rest (we cannot vouch for anything else).
func derivePhase(h state.Health, v phaseView) state.Phase {
	switch {
	case h.Mode == state.ModeHeld:
		return state.Held
	case v.Obs == obsFailed:
		return state.Unknown
	case v.Obs == obsNone && h.Mode == state.Unbound:
		return state.Pending
	}
	switch h.Mode {
	case state.ModeRolledBack:
		if h.Healthy > 0 {
			return state.Recovering
		}
		return state.RolledBack
	case state.Bound:
		switch {
		case h.Unhealthy > 0:
			return state.Degraded
		case v.Provisioning || h.LastRound == "":
			return state.Provisioning
		}
		return state.Healthy
	}
	return state.Provisioning
}
