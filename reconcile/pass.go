package reconcile

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// PassOptions tune one pass.
type PassOptions struct {
	// Probe runs a probe round inside the pass (plan, apply). The `run`
	// controller feeds rounds through Round instead.
	Probe bool
	// DryRun computes the plan without carrying it out.
	DryRun bool
}

// Result is the outcome of one pass.
type Result struct {
	Plan  *Plan
	Obs   *Observed
	Round *probes.Round
	Phase state.Phase
	// Acted is the number of actions carried out.
	Acted int
	// Err is the first error of the pass (observation or action), already
	// reflected in the conditions.
	Err error
}

// Pass observes, diffs and acts once, then persists the state. Railway is
// read without holding the lock, so probe rounds are never delayed by it.
func (r *Reconciler) Pass(ctx context.Context, po PassOptions) *Result {
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		sp, in, writes := r.spec.Load(), observeInputOf(r.st), r.writes
		r.mu.Unlock()

		obs := r.observe(ctx, sp, in)
		round := r.passRound(ctx, sp, obs, po.Probe)

		r.mu.Lock()
		if r.writes != writes && attempt == 0 {
			// A round wrote to Railway while we were reading: what we
			// read may predate it. Read again rather than undo it.
			r.mu.Unlock()
			continue
		}
		res := r.passLocked(ctx, sp, obs, round, po)
		r.mu.Unlock()
		return res
	}
}

// passRound runs the pass's own probe round (plan, apply), after
// refreshing the cached Redis URL from the observation.
func (r *Reconciler) passRound(ctx context.Context, sp *spec.Spec, obs *Observed, probe bool) *probes.Round {
	url := r.redisURL(ctx, sp, obs)
	if !probe {
		return nil
	}
	cfg := roundConfig(sp, r.view.Load())
	cfg.RedisURL = url
	rd := r.opts.Prober.Round(ctx, cfg)
	return &rd
}

func (r *Reconciler) passLocked(ctx context.Context, sp *spec.Spec, obs *Observed, round *probes.Round, po PassOptions) *Result {
	now := r.now()
	r.noteObservation(obs, now)
	var decisions []Decision
	if round != nil {
		decisions = r.feedRound(sp, *round, obs.Err == nil, now)
	}
	if obs.Err == nil {
		r.record(bookkeep(sp, r.st, obs, now)...)
		r.lastObs = obs
	}
	plan := Diff(DiffInput{Spec: sp, Obs: obs, State: r.st, Decisions: decisions, Now: now})
	res := &Result{Plan: plan, Obs: obs, Round: round, Err: obs.Err}
	if !po.DryRun && plan.Pending() {
		res.Acted, res.Err = r.actPass(ctx, sp, plan, obs)
	}
	if !po.DryRun && res.Err == nil && obs.Err == nil {
		r.st.Owed = nil // every owed write was planned from a fresh read and carried out
	}
	r.lastPlan = plan
	r.summarize(sp, obs, round, res.Err, now)
	res.Phase = r.st.Phase
	r.savePass(res)
	return res
}

// actPass carries out a pass's plan. A round that must roll back may
// cancel it between or during its writes — except an addon creation,
// which runs to its end so that its workflow id is always saved.
func (r *Reconciler) actPass(ctx context.Context, sp *spec.Spec, plan *Plan, obs *Observed) (int, error) {
	if slices.ContainsFunc(plan.Actions, func(a Action) bool { return a.Kind == ActCreateAddon }) {
		return r.act(ctx, sp, plan, obs)
	}
	actCtx, done := r.preemptible(ctx)
	defer done()
	return r.act(actCtx, sp, plan, obs)
}

func (r *Reconciler) savePass(res *Result) {
	if err := r.persist(); err != nil && res.Err == nil {
		res.Err = err
	}
	result := "ok"
	switch {
	case res.Err != nil:
		result = "error"
		r.log.Warn("reconcile pass failed", zap.Error(res.Err), zap.String("class", classString(Classify(res.Err))))
	case len(res.Plan.Drift) > 0 || res.Plan.Pending():
		result = "drift"
	case len(res.Plan.Waiting) > 0:
		result = "waiting"
	}
	r.log.Debug("reconcile pass", zap.String("result", result), zap.Int("acted", res.Acted),
		zap.Int("drift", len(res.Plan.Drift)), zap.String("phase", string(r.st.Phase)))
	if r.opts.Hooks.Pass != nil {
		r.opts.Hooks.Pass(result, len(res.Plan.Drift))
	}
}

func classString(c Class) string {
	if c == ClassPermanent {
		return "permanent"
	}
	return "transient"
}

// noteObservation tracks whether Railway can be read, recording the
// transitions into and out of Unknown once each.
func (r *Reconciler) noteObservation(obs *Observed, now time.Time) {
	bm := &r.st.Observed
	bm.At = now.UTC()
	if obs.Err != nil {
		if r.obs != obsFailed {
			r.record(state.Event{At: now, Type: EventObservationFailed, Message: "reading railway failed: " + obs.Err.Error()})
		}
		r.obs, bm.OK, bm.Error = obsFailed, false, obs.Err.Error()
		return
	}
	if r.obs == obsFailed {
		r.record(state.Event{At: now, Type: EventObservationOK, Message: "reading railway works again"})
	}
	r.obs, bm.OK, bm.Error = obsOK, true, ""
}
