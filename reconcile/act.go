package reconcile

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// act carries out the plan's actions in order, stopping at the first error.
// Each mutation is preceded or followed by a save of the state, so that a
// process killed at any point leaves enough behind for the next pass to
// finish the job without doing it twice. It returns the number of actions
// carried out. The caller holds r.mu.
func (r *Reconciler) act(ctx context.Context, sp *spec.Spec, plan *Plan, obs *Observed) (int, error) {
	done := 0
	for _, a := range plan.Actions {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		var err error
		switch a.Kind {
		case ActCreateAddon:
			err = r.createAddon(ctx, sp)
		case ActSetVariables:
			err = r.setVariables(ctx, sp, a, obs)
		case ActDeploy:
			err = r.deploy(ctx, sp, a)
		default:
			continue // headers: the writes follow
		}
		if a.Kind != ActDeploy || err == nil {
			r.writes++ // even a failed write may have reached Railway
		}
		if err != nil {
			return done, stepError(a, err)
		}
		done++
	}
	return done, nil
}

// createAddon deploys the addon's template and persists the workflow id at
// once, so that a retry resumes the workflow instead of creating again.
func (r *Reconciler) createAddon(ctx context.Context, sp *spec.Spec) error {
	tpl, err := r.opts.Railway.Template(ctx, sp.Addon.Template)
	if err != nil {
		return fmt.Errorf("reading template %q: %w", sp.Addon.Template, err)
	}
	now := r.now()
	wf, err := r.opts.Railway.DeployTemplate(ctx, railway.TemplateDeploy{
		ProjectID: r.st.Railway.ProjectID, EnvironmentID: r.st.Railway.EnvironmentID,
		Template: tpl, ServiceName: sp.Addon.Service,
	})
	if err != nil {
		return fmt.Errorf("deploying template %q: %w", sp.Addon.Template, err)
	}
	r.st.Addon.WorkflowID, r.st.Addon.WorkflowStarted = wf, now.UTC()
	if wf == "" {
		// No workflow to follow: the service appears on the next read.
		r.st.Addon.WorkflowID = noWorkflow
	}
	r.record(state.Event{At: now, Type: EventAddonCreating,
		Message: fmt.Sprintf("creating addon %s from template %s (workflow %s)", sp.Addon.Service, sp.Addon.Template, r.st.Addon.WorkflowID)})
	return r.persist()
}

// setVariables writes one consumer's changed variables without a deploy.
// When the consumer deploys, the deploy is recorded as owed first.
func (r *Reconciler) setVariables(ctx context.Context, sp *spec.Spec, a Action, obs *Observed) error {
	c, ok := sp.Consumer(a.Service)
	if !ok {
		return fmt.Errorf("consumer %s is not in the spec", a.Service)
	}
	now := r.now()
	if c.Deploy {
		d := &state.Deploy{ServiceID: a.ServiceID, Reason: a.Reason, Intent: now.UTC()}
		if in := instanceOf(obs, a.Service); in != nil && in.LatestDeployment != nil {
			d.PrevDeploymentID = in.LatestDeployment.ID
		}
		r.st.TrackDeploy(a.Service, d)
		if err := r.persist(); err != nil {
			return err
		}
	}
	err := r.opts.Railway.UpsertVariables(ctx, r.st.Railway.ProjectID, r.st.Railway.EnvironmentID, a.ServiceID, a.Set)
	if err != nil {
		return err
	}
	r.st.Owed = slices.DeleteFunc(r.st.Owed, func(s string) bool { return s == a.Service })
	r.noteWritten(a)
	typ := EventVariablesSet
	if a.Correction {
		typ = EventVariablesCorrected
	}
	r.record(state.Event{At: now, Type: typ, Message: describeSet(a)})
	return r.persist()
}

// noteWritten folds a successful write into the last observation, so that
// a probe round acting before the next pass does not write it again.
func (r *Reconciler) noteWritten(a Action) {
	if r.lastObs == nil { // only successful observations are kept
		return
	}
	o := *r.lastObs
	o.Consumers = maps.Clone(o.Consumers)
	co := o.Consumers[a.Service]
	co.Vars = maps.Clone(co.Vars)
	if co.Vars == nil {
		co.Vars = map[string]string{}
	}
	maps.Copy(co.Vars, a.Set)
	o.Consumers[a.Service] = co
	r.lastObs = &o
}

func describeSet(a Action) string {
	parts := make([]string, 0, len(a.Changes))
	for _, c := range a.Changes {
		parts = append(parts, fmt.Sprintf("%s=%q", c.Name, c.To))
	}
	return fmt.Sprintf("set %s %s (%s)", a.Service, strings.Join(parts, ", "), a.Reason)
}

// deploy starts one deploy of a consumer and records its id.
func (r *Reconciler) deploy(ctx context.Context, sp *spec.Spec, a Action) error {
	id, err := r.opts.Railway.DeployService(ctx, r.st.Railway.EnvironmentID, a.ServiceID)
	if err != nil {
		return err
	}
	now := r.now()
	d := r.st.DeployFor(a.Service)
	if d == nil {
		d = &state.Deploy{ServiceID: a.ServiceID, Reason: a.Reason, Intent: now.UTC()}
		r.st.TrackDeploy(a.Service, d)
	}
	d.DeploymentID, d.StartedAt, d.Status = id, now.UTC(), string(railway.StatusInitializing)
	r.record(state.Event{At: now, Type: EventDeploying, Message: fmt.Sprintf("deploying %s (%s): %s", a.Service, id, a.Reason)})
	r.log.Debug("deploy started", zap.String("service", a.Service), zap.String("deployment", id))
	return r.persist()
}

func instanceOf(obs *Observed, svc string) *railway.ServiceInstance {
	if obs == nil || obs.Err != nil {
		return nil
	}
	return obs.Consumers[svc].Instance
}
