package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Observed is everything one observation learned. It is never modified
// after it is built.
type Observed struct {
	At time.Time
	// Err is set when the Railway read failed or was incomplete. Then only
	// Round may be trusted: nothing is created or corrected on it.
	Err error

	ProjectID     string
	EnvironmentID string
	// Addon is the Redis service instance, nil when absent.
	Addon *railway.ServiceInstance
	// AddonConflict explains why a service named like the addon is not
	// taken for it (its image is not Redis).
	AddonConflict string
	// AddonFoundBy says how the addon was found: "id" (the id stored in
	// the state), "new id" (a service that was not there before a
	// creation) or "name" (adoption by addon.service).
	AddonFoundBy string
	// ServiceIDs lists every service of the environment.
	ServiceIDs []string
	// Consumers maps each consumer's service name to what was observed.
	Consumers map[string]ConsumerObs
	// Workflow is the status of the in-flight template deployment, when the
	// state tracks one.
	Workflow *railway.WorkflowResult
	// Logs holds one check per log expectation that could be evaluated.
	Logs []probes.Check
	// Resolved is set when the ids were (re)resolved during this
	// observation; the pass caches them in the state.
	Resolved *state.Resolved
}

// noWorkflow stands for a template deployment that returned no workflow id.
const noWorkflow = "none"

// observeInput is the part of the state an observation needs, copied under
// the lock so that the observation itself runs without it.
type observeInput struct {
	Railway        state.Resolved
	AddonServiceID string
	WorkflowID     string
	// Before are the service ids present before a creation in flight (nil
	// when none is).
	Before []string
}

func observeInputOf(st *state.State) observeInput {
	in := observeInput{Railway: st.Railway, AddonServiceID: st.Addon.ServiceID, WorkflowID: st.Addon.WorkflowID}
	if c := st.Addon.Creation; c != nil {
		in.Before = slices.Clone(c.Before)
	}
	return in
}

// ConsumerObs is one consumer as observed.
type ConsumerObs struct {
	ID string
	// Instance is nil when the service does not exist in the environment.
	Instance *railway.ServiceInstance
	// Vars are the raw (unrendered) variables.
	Vars map[string]string
}

// ids is the resolved identity of the spec's environment and services.
type ids struct {
	project, env string
	services     map[string]string // name → id
}

// observe reads Railway once (plus, only when the cache is cold or stale,
// the project's ids and the in-flight workflow). It never fails: a failed
// read is recorded in Observed.Err.
func (r *Reconciler) observe(ctx context.Context, sp *spec.Spec, in observeInput) *Observed {
	obs := &Observed{At: r.now(), ProjectID: sp.Railway.ProjectID, Consumers: map[string]ConsumerObs{}}
	id, env, err := r.readEnvironment(ctx, sp, in.Railway, obs)
	if err != nil {
		obs.Err = err
		return obs
	}
	obs.EnvironmentID = id.env
	for _, inst := range env.Instances {
		obs.ServiceIDs = append(obs.ServiceIDs, inst.ServiceID)
	}
	r.fillAddon(obs, sp, in, env)
	r.fillConsumers(obs, sp, id, env)
	if wf := in.WorkflowID; wf != "" && wf != noWorkflow && obs.Addon == nil {
		res, err := r.opts.Railway.WorkflowStatus(ctx, wf)
		if err != nil {
			obs.Err = fmt.Errorf("reading workflow %s: %w", wf, err)
			return obs
		}
		obs.Workflow = &res
	}
	obs.Logs = r.checkLogs(ctx, sp, obs)
	return obs
}

// readEnvironment resolves ids (from the cache when it matches the spec)
// and reads the environment in one request. A not-found answer with cached
// ids refreshes them once.
func (r *Reconciler) readEnvironment(ctx context.Context, sp *spec.Spec, cache state.Resolved, obs *Observed) (ids, *railway.Observation, error) {
	id, cached := cachedIDs(sp, cache)
	if !cached {
		var err error
		if id, err = r.resolve(ctx, sp, obs); err != nil {
			return ids{}, nil, err
		}
	}
	env, err := r.opts.Railway.Observe(ctx, id.project, id.env, serviceIDs(sp, id))
	if cached && errors.Is(err, railway.ErrNotFound) {
		if id, err = r.resolve(ctx, sp, obs); err != nil {
			return ids{}, nil, err
		}
		env, err = r.opts.Railway.Observe(ctx, id.project, id.env, serviceIDs(sp, id))
	}
	if err != nil {
		return ids{}, nil, fmt.Errorf("observing railway: %w", err)
	}
	if stale := renamed(sp, id, env); stale {
		// A consumer was recreated under a new id: its variables were read
		// under the old one. Refresh and read again rather than guess.
		if id, err = r.resolve(ctx, sp, obs); err != nil {
			return ids{}, nil, err
		}
		if env, err = r.opts.Railway.Observe(ctx, id.project, id.env, serviceIDs(sp, id)); err != nil {
			return ids{}, nil, fmt.Errorf("observing railway: %w", err)
		}
	}
	return id, env, nil
}

// cachedIDs returns the ids cached in the state when they cover the spec.
func cachedIDs(sp *spec.Spec, c state.Resolved) (ids, bool) {
	id := ids{project: c.ProjectID, env: c.EnvironmentID, services: c.Services}
	if c.ProjectID != sp.Railway.ProjectID || c.Environment != sp.Railway.Environment || c.EnvironmentID == "" {
		return id, false
	}
	for _, cs := range sp.Consumers {
		if c.Services[cs.Service] == "" {
			return id, false
		}
	}
	return id, true
}

// resolve reads the project and records the environment and service ids
// in obs.Resolved.
func (r *Reconciler) resolve(ctx context.Context, sp *spec.Spec, obs *Observed) (ids, error) {
	p, err := r.opts.Railway.Project(ctx, sp.Railway.ProjectID)
	if err != nil {
		return ids{}, fmt.Errorf("reading project %s: %w", sp.Railway.ProjectID, err)
	}
	envIdx := slices.IndexFunc(p.Environments, func(e railway.Environment) bool {
		return e.ID == sp.Railway.Environment || e.Name == sp.Railway.Environment
	})
	if envIdx < 0 {
		return ids{}, &PermanentError{Reason: state.ReasonEnvironmentNotFound,
			Err: fmt.Errorf("environment %q not found in project %s", sp.Railway.Environment, sp.Railway.ProjectID)}
	}
	id := ids{project: p.ID, env: p.Environments[envIdx].ID, services: map[string]string{}}
	for _, s := range p.Services {
		id.services[s.Name] = s.ID
	}
	obs.Resolved = &state.Resolved{ProjectID: p.ID, Environment: sp.Railway.Environment, EnvironmentID: id.env, Services: id.services}
	return id, nil
}

// serviceIDs lists the ids of the consumers whose variables to read.
func serviceIDs(sp *spec.Spec, id ids) []string {
	var out []string
	for _, c := range sp.Consumers {
		if sid := id.services[c.Service]; sid != "" {
			out = append(out, sid)
		}
	}
	return out
}

// renamed reports whether a consumer's instance carries another id than
// the one its variables were read under.
func renamed(sp *spec.Spec, id ids, env *railway.Observation) bool {
	for _, c := range sp.Consumers {
		in, ok := env.Instance(c.Service)
		if ok && id.services[c.Service] != "" && in.ServiceID != id.services[c.Service] {
			return true
		}
	}
	return false
}

// fillAddon finds the addon: by the id stored in the state first; while a
// creation is in flight, by the difference of service ids (a service that
// was not there before, with the addon's image: Railway's CLI finds the
// service it created the same way, whatever its name); then by name
// (adoption) when the image looks like the addon's or is unknown.
func (r *Reconciler) fillAddon(obs *Observed, sp *spec.Spec, in observeInput, env *railway.Observation) {
	if sid := in.AddonServiceID; sid != "" {
		if inst, ok := env.InstanceByID(sid); ok {
			obs.Addon, obs.AddonFoundBy = &inst, "id"
			return
		}
	}
	if in.Before != nil {
		if inst, ok := r.createdAddon(sp, in.Before, env); ok {
			obs.Addon, obs.AddonFoundBy = &inst, "new id"
			return
		}
	}
	inst, ok := env.Instance(sp.Addon.Service)
	if !ok {
		return
	}
	if inst.Image != "" && !r.opts.Addon.Matches(inst.Image) {
		obs.AddonConflict = fmt.Sprintf("service %s exists but runs image %q, not %s", inst.ServiceName, inst.Image, r.opts.Addon.Name)
		return
	}
	obs.Addon, obs.AddonFoundBy = &inst, "name"
}

// createdAddon finds the service the creation in flight made among the
// services that were not there before it (before) and run the addon's
// image: the one carrying the spec's name; else the only one, unless
// another unit of the controller may be creating its addon in this
// environment too (a sibling whose addon was not there before): the new
// service may then be the sibling's, named otherwise by Railway, and the
// unit waits (its creation ends Blocked if its own never shows). A service
// named after a sibling's addon is never this unit's, and several new
// candidates are never guessed between.
func (r *Reconciler) createdAddon(sp *spec.Spec, before []string, env *railway.Observation) (railway.ServiceInstance, bool) {
	var siblings []string
	if r.opts.Siblings != nil {
		siblings = slices.Clone(r.opts.Siblings())
	}
	var candidates []railway.ServiceInstance
	for _, inst := range env.Instances {
		if slices.Contains(before, inst.ServiceID) {
			// A sibling whose addon was there before creates nothing.
			siblings = slices.DeleteFunc(siblings, func(n string) bool { return n == inst.ServiceName })
			continue
		}
		if !r.opts.Addon.Matches(inst.Image) {
			continue
		}
		if inst.ServiceName == sp.Addon.Service {
			return inst, true
		}
		candidates = append(candidates, inst)
	}
	candidates = slices.DeleteFunc(candidates, func(i railway.ServiceInstance) bool { return slices.Contains(siblings, i.ServiceName) })
	if len(candidates) == 1 && len(siblings) == 0 {
		return candidates[0], true
	}
	return railway.ServiceInstance{}, false
}

func (r *Reconciler) fillConsumers(obs *Observed, sp *spec.Spec, id ids, env *railway.Observation) {
	for _, c := range sp.Consumers {
		co := ConsumerObs{ID: id.services[c.Service]}
		if in, ok := env.Instance(c.Service); ok {
			co.Instance, co.ID = &in, in.ServiceID
			co.Vars = env.Variables[in.ServiceID]
			if co.Vars == nil {
				co.Vars = map[string]string{}
			}
		}
		obs.Consumers[c.Service] = co
	}
}

// checkLogs evaluates each log expectation against its consumer's latest
// deployment, when that deployment is up. The log checker caches and paces
// itself, so this costs a Railway request only while a line is awaited.
func (r *Reconciler) checkLogs(ctx context.Context, sp *spec.Spec, obs *Observed) []probes.Check {
	if r.opts.Logs == nil {
		return nil
	}
	var out []probes.Check
	for _, exp := range sp.Health.Logs {
		co := obs.Consumers[exp.Service]
		if co.Instance == nil || co.Instance.LatestDeployment == nil || !co.Instance.LatestDeployment.Status.Good() {
			continue
		}
		out = append(out, r.opts.Logs.Check(ctx, exp, *co.Instance.LatestDeployment))
	}
	return out
}
