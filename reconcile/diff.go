package reconcile

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Waits of the addon creation.
const (
	// createRetryAfter is how long a creation whose workflow failed waits
	// before the addon is created again.
	createRetryAfter = 10 * time.Minute
	// refusedRetryAfter is how long a creation Railway refused (the token
	// may not create services) waits: at most 2 attempts an hour.
	refusedRetryAfter = time.Hour
	// maxCreateAttempts bounds the creations of one intent: the first,
	// and one more after the grace period; then a person must look.
	maxCreateAttempts = 2
)

// createGrace is the spec's grace period of an addon creation.
func createGrace(sp *spec.Spec) time.Duration {
	if sp.Addon.CreateGrace > 0 {
		return sp.Addon.CreateGrace
	}
	return spec.DefaultCreateGrace
}

// DiffInput is everything Diff looks at.
type DiffInput struct {
	Spec  *spec.Spec
	Obs   *Observed
	State *state.State
	// Decisions are the health machine's decisions of this pass; they only
	// label the plan (the writes follow from the machine's mode).
	Decisions []Decision
	// Now is the time of the pass.
	Now time.Time
	// DecisionsOnly restricts the plan to the consumers' variables and
	// deploys: what a probe round carries out between passes.
	DecisionsOnly bool
	// Retry says a person asked (apply): a blocked creation is tried again
	// at once.
	Retry bool
}

// Diff computes the plan: every action needed to converge Railway on the
// spec, in the order to carry them out, with a reason each, and every drift
// item. It is pure: no I/O, no clock, and its inputs are not modified.
//
// When the observation failed (phase Unknown), nothing is created or
// corrected; only a rollback the machine decided is written, to every
// consumer whose id is known, with all of its rollback variables.
func Diff(in DiffInput) *Plan {
	d := &differ{DiffInput: in, plan: &Plan{Drift: []DriftItem{}}}
	d.decisions()
	if in.Obs == nil || in.Obs.Err != nil {
		d.unknown()
		return d.plan
	}
	if !in.DecisionsOnly {
		d.addon()
	}
	d.consumers()
	if !in.DecisionsOnly {
		d.owedDeploys()
		d.logs()
	}
	return d.plan
}

type differ struct {
	DiffInput
	plan *Plan
	// planned marks consumers with a deploy already planned.
	planned map[string]bool
}

func (d *differ) add(a Action) {
	if a.Kind == ActDeploy {
		if d.planned[a.Service] {
			return
		}
		if d.planned == nil {
			d.planned = map[string]bool{}
		}
		d.planned[a.Service] = true
	}
	d.plan.Actions = append(d.plan.Actions, a)
}

// decisions heads the plan with the rollback or roll forward under way:
// decided now, or decided earlier and not yet written.
func (d *differ) decisions() {
	for _, dec := range d.Decisions {
		kind := ActRollback
		if dec.Kind == DecideRollForward {
			kind = ActRollForward
		}
		d.add(Action{Kind: kind, Reason: dec.Reason})
	}
	h := d.State.Health
	if len(d.Decisions) == 0 && len(d.State.Owed) > 0 && h.Decision != "" {
		kind := ActRollForward
		if rolledBack(h.Mode) {
			kind = ActRollback
		}
		d.add(Action{Kind: kind, Reason: h.Decision + " (not yet written)"})
	}
}

func rolledBack(m state.Mode) bool { return m == state.ModeRolledBack || m == state.ModeHeld }

// owes reports whether consumer svc still owes the writes of a decision.
func (d *differ) owes(svc string) bool { return slices.Contains(d.State.Owed, svc) }

// unknown plans the only writes allowed without an observation: a pending
// rollback, to the consumers whose ids are cached.
func (d *differ) unknown() {
	if !rolledBack(d.State.Health.Mode) {
		d.plan.Actions = slices.DeleteFunc(d.plan.Actions, func(a Action) bool { return a.Kind == ActRollForward })
		return
	}
	for _, c := range d.Spec.Consumers {
		id := d.State.Railway.ServiceID(c.Service)
		if !d.owes(c.Service) {
			continue
		}
		set := rollbackVars(d.Spec, c)
		if id == "" || len(set) == 0 {
			continue
		}
		d.add(Action{Kind: ActSetVariables, Service: c.Service, ServiceID: id, Set: set,
			Changes: changesFor(set, nil), Reason: "roll back"})
		if c.Deploy {
			d.add(Action{Kind: ActDeploy, Service: c.Service, ServiceID: id, Reason: "rolled back"})
		}
	}
}

// addon plans the creation of a missing addon, or says what it waits for.
func (d *differ) addon() {
	sp, obs, a := d.Spec, d.Obs, d.Obs.Addon
	name := sp.Addon.Service
	switch {
	case obs.AddonConflict != "":
		d.drift(DriftItem{Kind: DriftAddon, Service: name, Message: obs.AddonConflict})
		d.plan.Blocked = append(d.plan.Blocked, obs.AddonConflict+": rename one of them or change addon.service")
	case a == nil:
		d.missingAddon()
	case a.ServiceName != name:
		// Found by the difference of ids after a creation: Railway named it
		// otherwise. Reported; never a reason to create again.
		msg := fmt.Sprintf("addon found as service %s (%s), not %s: references like ${{%s.REDIS_URL}} do not reach it; "+
			"rename the service in Railway, or set addon.service and the consumers' variables to %s", a.ServiceName, a.ServiceID, name, name, a.ServiceName)
		d.drift(DriftItem{Kind: DriftAddon, Service: name, Desired: name, Actual: a.ServiceName, Message: msg})
		d.plan.Blocked = append(d.plan.Blocked, msg)
	case a.LatestDeployment == nil:
		d.plan.Waiting = append(d.plan.Waiting, fmt.Sprintf("addon %s has no deployment yet", name))
	case a.LatestDeployment.Status.InProgress():
		d.plan.Waiting = append(d.plan.Waiting, fmt.Sprintf("addon %s deployment is %s", name, a.LatestDeployment.Status))
	case !a.LatestDeployment.Status.Good():
		msg := fmt.Sprintf("addon %s deployment %s is %s", name, a.LatestDeployment.ID, a.LatestDeployment.Status)
		d.drift(DriftItem{Kind: DriftAddon, Service: name, Desired: "SUCCESS", Actual: string(a.LatestDeployment.Status), Message: msg})
		d.plan.Blocked = append(d.plan.Blocked, msg+": redeploy it in Railway")
	}
}

func (d *differ) missingAddon() {
	sp, st := d.Spec, d.State
	name := sp.Addon.Service
	d.drift(DriftItem{Kind: DriftAddon, Service: name, Desired: "present", Actual: "missing",
		Message: fmt.Sprintf("addon %s not found in %s", name, sp.Railway.Environment)})
	create := Action{Kind: ActCreateAddon, Service: name,
		Reason: fmt.Sprintf("create addon %s from template %s: not found in %s", name, sp.Addon.Template, sp.Railway.Environment)}
	switch {
	case !sp.Addon.Create:
		d.plan.Blocked = append(d.plan.Blocked, fmt.Sprintf("addon %s not found in %s and addon.create is false", name, sp.Railway.Environment))
	case st.Addon.Creation != nil || st.Addon.WorkflowID != "":
		d.creationInFlight(create)
	case !st.Addon.LastCreateFailed.IsZero() && !d.Retry && d.Now.Before(st.Addon.LastCreateFailed.Add(d.createCooldown())):
		next := st.Addon.LastCreateFailed.Add(d.createCooldown())
		d.plan.Blocked = append(d.plan.Blocked, fmt.Sprintf("creating addon %s failed at %s (%s); trying again after %s, or at once with `reconciler apply`",
			name, stamp(st.Addon.LastCreateFailed), orUnknown(st.Addon.CreateError), stamp(next)))
	default:
		d.add(create)
	}
}

func (d *differ) createCooldown() time.Duration {
	if d.State.Addon.CreateRefused {
		return refusedRetryAfter
	}
	return createRetryAfter
}

// creationInFlight waits for the service of a creation to appear: no new
// creation before the grace period passes, nor while Railway says the
// creation's workflow is still Running; then one more, then a person must
// look.
func (d *differ) creationInFlight(create Action) {
	a, name := d.State.Addon, d.Spec.Addon.Service
	since, attempts, ambiguous := a.WorkflowStarted, 1, ""
	if c := a.Creation; c != nil {
		since, attempts, ambiguous = c.At, c.Attempts, c.Ambiguous
	}
	deadline := since.Add(createGrace(d.Spec))
	switch {
	case d.Now.Before(deadline):
		d.plan.Waiting = append(d.plan.Waiting, creationWait(name, a, d.Obs.Workflow, ambiguous, deadline))
	case d.Obs.Workflow != nil && d.Obs.Workflow.Status == railway.WorkflowRunning:
		// Railway says it is still at it: a second creation now would be a
		// second addon. Wait for the workflow's end, however long.
		d.plan.Waiting = append(d.plan.Waiting, fmt.Sprintf("%s, longer than the %s grace period (sent at %s): "+
			"not creating it again while Railway is still creating it; if it never ends, look at the project in Railway",
			workflowWait(name, a.WorkflowID, d.Obs.Workflow), spec.FormatDuration(createGrace(d.Spec)), stamp(since)))
	case attempts < maxCreateAttempts || d.Retry:
		create.Reason = fmt.Sprintf("create addon %s once more: no new service appeared within %s of the creation sent at %s",
			name, spec.FormatDuration(createGrace(d.Spec)), stamp(since))
		d.add(create)
	default:
		d.plan.Blocked = append(d.plan.Blocked, fmt.Sprintf("creating addon %s was sent %d times (the last at %s) and no new service appeared within %s: "+
			"look at the project in Railway (a half-created or renamed service?), then run `reconciler apply` to try again",
			name, attempts, stamp(since), spec.FormatDuration(createGrace(d.Spec))))
	}
}

func creationWait(name string, a state.Addon, wf *railway.WorkflowResult, ambiguous string, deadline time.Time) string {
	switch {
	case ambiguous != "":
		return fmt.Sprintf("addon %s: the creation request failed after it may have reached Railway (%s); waiting for a new service until %s",
			name, ambiguous, stamp(deadline))
	case a.WorkflowID != "" && a.WorkflowID != noWorkflow:
		return workflowWait(name, a.WorkflowID, wf) + ", until " + stamp(deadline)
	}
	return fmt.Sprintf("addon %s: created, waiting for its service to appear until %s", name, stamp(deadline))
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func workflowWait(name, id string, wf *railway.WorkflowResult) string {
	status := "Running"
	if wf != nil {
		status = string(wf.Status)
	}
	return fmt.Sprintf("addon %s: template deployment %s is %s", name, id, status)
}

// consumers plans the variable writes and deploys that bring each consumer
// to the variables the machine's mode wants.
func (d *differ) consumers() {
	for _, c := range d.Spec.Consumers {
		co := d.Obs.Consumers[c.Service]
		if co.Instance == nil {
			if !d.DecisionsOnly {
				msg := fmt.Sprintf("consumer service %s not found in %s", c.Service, d.Spec.Railway.Environment)
				d.drift(DriftItem{Kind: DriftConsumer, Service: c.Service, Desired: "present", Actual: "missing", Message: msg})
				d.plan.Blocked = append(d.plan.Blocked, msg)
			}
			continue
		}
		d.consumer(c, co)
	}
}

func (d *differ) consumer(c spec.Consumer, co ConsumerObs) {
	if d.DecisionsOnly && !d.owes(c.Service) {
		return
	}
	want := desiredVars(d.Spec, c, d.State.Health.Mode)
	names := c.SortedNames()
	if d.DecisionsOnly {
		// Between passes only the decision's own variables are written;
		// other drift waits for a pass and its fresh read.
		names = sortedKeys(rollbackVars(d.Spec, c))
	}
	set := map[string]string{}
	for _, name := range names {
		if have, ok := co.Vars[name]; !ok || have != want[name] {
			set[name] = want[name]
			d.drift(DriftItem{Kind: DriftVariable, Service: c.Service, Name: name,
				Desired: spec.MaskValue(want[name]), Actual: spec.MaskValue(have)})
		}
	}
	if len(set) == 0 {
		if d.owes(c.Service) {
			d.plan.Satisfied = append(d.plan.Satisfied, c.Service)
		}
		return
	}
	var after string
	if d.State.Health.Mode == state.Unbound && !d.canBind() {
		d.plan.Waiting = append(d.plan.Waiting, fmt.Sprintf("binding %s once addon %s is up and one probe round is healthy", c.Service, d.Spec.Addon.Service))
		after = fmt.Sprintf("addon %s SUCCESS and one healthy round", d.Spec.Addon.Service)
	}
	reason := d.deployReason()
	d.add(Action{Kind: ActSetVariables, Service: c.Service, ServiceID: co.ID, Set: set,
		Changes: changesFor(set, co.Vars), Reason: reason, Correction: reason == reasonCorrection, DependsOn: after})
	if c.Deploy {
		d.add(Action{Kind: ActDeploy, Service: c.Service, ServiceID: co.ID, Reason: reason, DependsOn: after})
	}
}

// canBind: the addon is up under its declared name (the consumers'
// references name it) and the last conclusive round was healthy.
func (d *differ) canBind() bool {
	a := d.Obs.Addon
	return a != nil && a.ServiceName == d.Spec.Addon.Service && a.LatestDeployment != nil && a.LatestDeployment.Status.Good() &&
		d.State.Health.LastRound == "healthy"
}

func (d *differ) deployReason() string {
	h := d.State.Health
	switch {
	case h.Mode == state.Unbound:
		return "bound to " + d.Spec.Addon.Service
	case len(d.State.Owed) > 0 && rolledBack(h.Mode):
		return "rolled back"
	case len(d.State.Owed) > 0:
		return "rolled forward"
	}
	return reasonCorrection
}

// reasonCorrection is the reason of a write that undoes drift.
const reasonCorrection = "variables changed"

// owedDeploys plans the deploys owed from earlier passes: variables written
// but the deploy never started (the process died in between).
func (d *differ) owedDeploys() {
	for _, svc := range d.State.DeployServices() {
		dep := d.State.DeployFor(svc)
		co := d.Obs.Consumers[svc]
		switch {
		case co.Instance == nil:
		case dep.DeploymentID == "":
			d.add(Action{Kind: ActDeploy, Service: svc, ServiceID: co.ID, Reason: dep.Reason + " (variables written, deploy not started)"})
		default:
			d.plan.Waiting = append(d.plan.Waiting, fmt.Sprintf("%s deployment %s is %s", svc, dep.DeploymentID, dep.Status))
		}
	}
	for _, c := range d.Spec.Consumers {
		co := d.Obs.Consumers[c.Service]
		if co.Instance == nil || co.Instance.LatestDeployment == nil || !co.Instance.LatestDeployment.Status.Bad() {
			continue
		}
		ld := co.Instance.LatestDeployment
		d.drift(DriftItem{Kind: DriftDeploy, Service: c.Service, Desired: "SUCCESS", Actual: string(ld.Status),
			Message: fmt.Sprintf("%s deployment %s is %s", c.Service, ld.ID, ld.Status)})
	}
}

func (d *differ) logs() {
	for _, chk := range d.Obs.Logs {
		if chk.Failed() {
			d.drift(DriftItem{Kind: DriftLog, Service: strings.TrimPrefix(chk.Name, "log/"), Message: chk.Message})
		}
	}
}

func (d *differ) drift(item DriftItem) {
	if !d.DecisionsOnly {
		d.plan.Drift = append(d.plan.Drift, item)
	}
}

// desiredVars is what consumer c must carry in machine mode m: the declared
// variables, with the rollback values over them while rolled back.
func desiredVars(sp *spec.Spec, c spec.Consumer, m state.Mode) map[string]string {
	want := maps.Clone(c.Variables)
	if rolledBack(m) {
		maps.Copy(want, rollbackVars(sp, c))
	}
	return want
}

// rollbackVars is the rollback variables that apply to consumer c.
func rollbackVars(sp *spec.Spec, c spec.Consumer) map[string]string {
	out := map[string]string{}
	for name, v := range sp.Rollback.Variables {
		if _, ok := c.Variables[name]; ok {
			out[name] = v
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
