package reconcile

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// act carries out the plan's actions in order, on the owner, stopping at
// the first error. Every mutation is preceded by a save of the state, so
// that a process killed at any point leaves enough behind for the next
// pass to finish the job without doing it twice, and a process that lost
// its lease stops before it writes. A preemptible act (a pass's) stops
// with errInterrupted when an urgent job must write. It returns the number
// of actions carried out.
func (r *Reconciler) act(ctx context.Context, sp *spec.Spec, plan *Plan, obs *Observed, preemptible bool) (int, error) {
	done := 0
	for _, a := range plan.Actions {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		if !a.Kind.writes() || a.DependsOn != "" {
			continue // headers (the writes follow), and what a later pass does
		}
		if preemptible && r.serveUrgent() {
			return done, errInterrupted
		}
		if err := r.persist(); err != nil {
			return done, err
		}
		err := r.step(ctx, sp, a, obs, preemptible && a.Kind != ActCreateAddon)
		if a.Kind != ActDeploy || err == nil {
			r.o.writes++ // even a failed write may have reached Railway
		}
		if err != nil {
			return done, stepError(a, err)
		}
		done++
	}
	return done, nil
}

func (r *Reconciler) step(ctx context.Context, sp *spec.Spec, a Action, obs *Observed, preemptible bool) error {
	switch a.Kind {
	case ActCreateAddon:
		return r.createAddon(ctx, sp, obs)
	case ActSetVariables:
		return r.setVariables(ctx, sp, a, obs, preemptible)
	default:
		return r.deploy(ctx, a, preemptible)
	}
}

// createAddon deploys the addon's template. The intent (the time, and the
// ids of the services present) is saved before the request leaves, so
// that an answer lost after Railway did the work never leads to a second
// addon: the next passes wait for a new service to appear (and adopt it by
// the difference of ids) until the grace period passes. A workflow id is
// saved as soon as Railway answers. It is never interrupted.
func (r *Reconciler) createAddon(ctx context.Context, sp *spec.Spec, obs *Observed) error {
	var tpl *railway.Template
	err := r.await(ctx, false, func(ctx context.Context) (err error) {
		tpl, err = r.opts.Railway.Template(ctx, sp.Addon.Template)
		return err
	})
	if err != nil {
		return fmt.Errorf("reading template %q: %w", sp.Addon.Template, err)
	}
	st, now := r.o.st, r.now()
	attempts := 1
	if c := st.Addon.Creation; c != nil {
		attempts = c.Attempts + 1
	}
	if attempts > 1 {
		r.record(state.Event{At: now, Type: state.EventAddonCreateRetry,
			Message: fmt.Sprintf("no new service appeared for the creation of addon %s: creating it once more (attempt %d)", sp.Addon.Service, attempts)})
	}
	st.Addon.Creation = &state.Creation{At: now.UTC(), Before: slices.Clone(obs.ServiceIDs), Attempts: attempts}
	st.Addon.WorkflowID, st.Addon.WorkflowStarted = "", time.Time{}
	if err := r.persist(); err != nil {
		return err
	}
	var wf string
	err = r.await(ctx, false, func(ctx context.Context) (err error) {
		wf, err = r.opts.Railway.DeployTemplate(ctx, railway.TemplateDeploy{
			ProjectID: st.Railway.ProjectID, EnvironmentID: st.Railway.EnvironmentID,
			Template: tpl, ServiceName: sp.Addon.Service,
		})
		return err
	})
	if err != nil {
		r.createFailed(sp, err, now)
		return errors.Join(fmt.Errorf("deploying template %q: %w", sp.Addon.Template, err), r.persist())
	}
	st.Addon.WorkflowID, st.Addon.WorkflowStarted = wf, now.UTC()
	if wf == "" {
		// No workflow to follow: the service appears on a later read.
		st.Addon.WorkflowID = noWorkflow
	}
	r.record(state.Event{At: now, Type: state.EventAddonCreating,
		Message: fmt.Sprintf("creating addon %s from template %s (workflow %s)", sp.Addon.Service, sp.Addon.Template, st.Addon.WorkflowID)})
	return r.persist()
}

// createFailed records a failed creation request. Railway refusing it
// (a GraphQL error, a token that may not create services) is a definite
// failure: the intent is dropped and a new creation waits. Anything else
// (a timeout, a 5xx, a dropped connection) may have happened after
// Railway did the work: the intent stands, and nothing is created again
// until a new service appears or the grace period passes.
func (r *Reconciler) createFailed(sp *spec.Spec, err error, now time.Time) {
	a := &r.o.st.Addon
	if definiteFailure(err) {
		a.Creation = nil
		a.LastCreateFailed, a.CreateError, a.CreateRefused = now.UTC(), spec.RedactURLsIn(err.Error()), railway.IsPermanent(err)
		r.record(state.Event{At: now, Type: state.EventAddonCreateFailed,
			Message: fmt.Sprintf("creating addon %s was refused: %s", sp.Addon.Service, a.CreateError)})
		return
	}
	a.Creation.Ambiguous = spec.RedactURLsIn(err.Error())
	r.record(state.Event{At: now, Type: state.EventAddonCreateAmbiguous,
		Message: fmt.Sprintf("creating addon %s: the request failed after it may have reached Railway (%s); not creating again until a new service appears or %s pass",
			sp.Addon.Service, a.Creation.Ambiguous, spec.FormatDuration(createGrace(sp)))})
}

// definiteFailure reports whether a creation request surely did nothing:
// Railway refused it, or it never reached Railway (the budget, a rate
// limit, Cloudflare's edge block).
func definiteFailure(err error) bool {
	var rl *railway.RateLimitedError
	var edge *railway.EdgeBlockedError
	return railway.IsPermanent(err) || errors.Is(err, railway.ErrBudgetExhausted) || errors.As(err, &rl) || errors.As(err, &edge)
}

// setVariables writes one consumer's changed variables without a deploy.
// When the consumer deploys, the deploy is recorded as owed first.
func (r *Reconciler) setVariables(ctx context.Context, sp *spec.Spec, a Action, obs *Observed, preemptible bool) error {
	c, ok := sp.Consumer(a.Service)
	if !ok {
		return fmt.Errorf("consumer %s is not in the spec", a.Service)
	}
	st, now := r.o.st, r.now()
	if c.Deploy {
		d := &state.Deploy{ServiceID: a.ServiceID, Reason: a.Reason, Intent: now.UTC()}
		if in := instanceOf(obs, a.Service); in != nil && in.LatestDeployment != nil {
			d.PrevDeploymentID = in.LatestDeployment.ID
		}
		st.TrackDeploy(a.Service, d)
		if err := r.persist(); err != nil {
			return err
		}
	}
	err := r.await(ctx, preemptible, func(ctx context.Context) error {
		return r.opts.Railway.UpsertVariables(ctx, st.Railway.ProjectID, st.Railway.EnvironmentID, a.ServiceID, a.Set)
	})
	if err != nil {
		return err
	}
	st.Owed = slices.DeleteFunc(st.Owed, func(s string) bool { return s == a.Service })
	r.noteWritten(a)
	typ := state.EventVariablesSet
	if a.Correction {
		typ = state.EventVariablesCorrected
	}
	r.record(state.Event{At: now, Type: typ, Message: describeSet(a)})
	return r.persist()
}

// noteWritten folds a successful write into the last observation, so that
// a probe round acting before the next pass does not write it again.
func (r *Reconciler) noteWritten(a Action) {
	if r.o.lastObs == nil { // only successful observations are kept
		return
	}
	o := *r.o.lastObs
	o.Consumers = maps.Clone(o.Consumers)
	co := o.Consumers[a.Service]
	co.Vars = maps.Clone(co.Vars)
	if co.Vars == nil {
		co.Vars = map[string]string{}
	}
	maps.Copy(co.Vars, a.Set)
	o.Consumers[a.Service] = co
	r.o.lastObs = &o
}

func describeSet(a Action) string {
	parts := make([]string, 0, len(a.Changes))
	for _, c := range a.Changes {
		parts = append(parts, fmt.Sprintf("%s=%q", c.Name, c.To))
	}
	return fmt.Sprintf("set %s %s (%s)", a.Service, strings.Join(parts, ", "), a.Reason)
}

// deploy starts one deploy of a consumer and records its id.
func (r *Reconciler) deploy(ctx context.Context, a Action, preemptible bool) error {
	st := r.o.st
	var id string
	err := r.await(ctx, preemptible, func(ctx context.Context) (err error) {
		id, err = r.opts.Railway.DeployService(ctx, st.Railway.EnvironmentID, a.ServiceID)
		return err
	})
	if err != nil {
		return err
	}
	now := r.now()
	d := st.DeployFor(a.Service)
	if d == nil {
		d = &state.Deploy{ServiceID: a.ServiceID, Reason: a.Reason, Intent: now.UTC()}
		st.TrackDeploy(a.Service, d)
	}
	d.DeploymentID, d.StartedAt, d.Status = id, now.UTC(), string(railway.StatusInitializing)
	r.record(state.Event{At: now, Type: state.EventDeploying, Message: fmt.Sprintf("deploying %s (%s): %s", a.Service, id, a.Reason)})
	r.log.Debug("deploy started", zap.String("service", a.Service), zap.String("deployment", id))
	return r.persist()
}

func instanceOf(obs *Observed, svc string) *railway.ServiceInstance {
	if obs == nil || obs.Err != nil {
		return nil
	}
	return obs.Consumers[svc].Instance
}

// interrupted reports whether err ended an act step for an urgent job.
func interrupted(err error) bool { return errors.Is(err, errInterrupted) }
