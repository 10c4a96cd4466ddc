package reconcile

import (
	"fmt"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// bookkeep folds a successful observation into the state: resolved ids,
// the addon's id (adopted by name, or found after a creation), the fate of
// an in-flight workflow, the deploys being tracked, and the binding of the
// consumers. It makes no call and returns the events it records.
func bookkeep(sp *spec.Spec, st *state.State, obs *Observed, now time.Time) []state.Event {
	var b booker
	b.now = now
	if obs.Resolved != nil {
		st.Railway = *obs.Resolved
	}
	b.addon(sp, st, obs)
	b.deploys(st, obs)
	if st.Health.Mode == state.Unbound && bound(sp, obs) {
		h, _, evs := Step(st.Health, sp.Rollback, Input{Kind: InputBound}, now)
		st.Health = h
		b.events = append(b.events, evs...)
	}
	return b.events
}

type booker struct {
	now    time.Time
	events []state.Event
}

func (b *booker) emit(typ, format string, args ...any) {
	b.events = append(b.events, state.Event{At: b.now.UTC(), Type: typ, Message: fmt.Sprintf(format, args...)})
}

func (b *booker) addon(sp *spec.Spec, st *state.State, obs *Observed) {
	a, name := obs.Addon, sp.Addon.Service
	creating := st.Addon.Creation != nil || st.Addon.WorkflowID != ""
	switch {
	case a != nil && a.ServiceID != st.Addon.ServiceID:
		switch {
		case obs.AddonFoundBy == "new id":
			b.emit(state.EventAddonCreated, "addon %s created (%s, service %s): the new service of the creation, found by the difference of service ids",
				name, a.ServiceID, a.ServiceName)
		case creating:
			b.emit(state.EventAddonCreated, "addon %s created (%s) from template %s", name, a.ServiceID, sp.Addon.Template)
		default:
			b.emit(state.EventAddonAdopted, "addon %s found (%s) and adopted", name, a.ServiceID)
		}
		st.Addon = state.Addon{ServiceID: a.ServiceID}
	case a != nil:
		st.Addon = state.Addon{ServiceID: a.ServiceID}
	case creating:
		b.workflow(name, st, obs.Workflow)
	case st.Addon.ServiceID != "" && obs.AddonConflict == "":
		b.emit(state.EventAddonMissing, "addon %s (%s) is gone from %s", name, st.Addon.ServiceID, sp.Railway.Environment)
		st.Addon.ServiceID = ""
	}
}

// workflow follows a creation's workflow: Railway saying Error is a
// definite failure. Anything else waits for the service to appear (Diff
// counts the grace period).
func (b *booker) workflow(name string, st *state.State, wf *railway.WorkflowResult) {
	if wf == nil || wf.Status != railway.WorkflowError {
		return
	}
	msg := orUnknown(wf.Error)
	b.emit(state.EventAddonCreateFailed, "creating addon %s failed: %s", name, msg)
	st.Addon = state.Addon{LastCreateFailed: b.now.UTC(), CreateError: msg}
}

func orUnknown(s string) string {
	if s == "" {
		return "no error message from Railway"
	}
	return s
}

// deploys follows each tracked deploy to its end.
func (b *booker) deploys(st *state.State, obs *Observed) {
	for _, svc := range st.DeployServices() {
		d := st.DeployFor(svc)
		co := obs.Consumers[svc]
		if co.Instance == nil {
			st.DoneDeploy(svc)
			continue
		}
		latest := co.Instance.LatestDeployment
		if d.DeploymentID == "" {
			if latest != nil && latest.ID != d.PrevDeploymentID {
				// A deploy started after the variables were written: the
				// one this process started before dying, or someone's.
				d.DeploymentID, d.StartedAt = latest.ID, latest.CreatedAt
			} else {
				continue
			}
		}
		b.follow(st, svc, d, latest)
	}
}

func (b *booker) follow(st *state.State, svc string, d *state.Deploy, latest *railway.Deployment) {
	switch {
	case latest == nil || latest.ID != d.DeploymentID:
		st.DoneDeploy(svc)
	case latest.Status.Good():
		b.emit(state.EventDeployed, "%s deployment %s is %s (%s)", svc, latest.ID, latest.Status, d.Reason)
		st.DoneDeploy(svc)
	case latest.Status.Bad():
		b.emit(state.EventDeployFailed, "%s deployment %s is %s (%s)", svc, latest.ID, latest.Status, d.Reason)
		st.DoneDeploy(svc)
	default:
		d.Status = string(latest.Status)
	}
}

// bound reports whether every consumer present carries its declared
// variables, and at least one consumer is present.
func bound(sp *spec.Spec, obs *Observed) bool {
	seen := false
	for _, c := range sp.Consumers {
		co := obs.Consumers[c.Service]
		if co.Instance == nil {
			continue
		}
		seen = true
		for name, v := range c.Variables {
			if have, ok := co.Vars[name]; !ok || have != v {
				return false
			}
		}
	}
	return seen
}
