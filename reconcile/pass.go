package reconcile

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
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
	// Retry says a person asked (apply): a creation that is blocked
	// (refused, or sent without its service appearing) is tried again.
	Retry bool
}

// Result is the outcome of one pass.
type Result struct {
	Plan  *Plan
	Obs   *Observed
	Round *probes.Round
	Phase state.Phase
	// Acted is the number of actions carried out.
	Acted int
	// Interrupted is set when a rollback or roll forward that fell due
	// stopped the pass before its plan was carried out; the next pass
	// completes it.
	Interrupted bool
	// Err is the first error of the pass (observation or action), already
	// reflected in the conditions.
	Err error
}

// Pass is the sync function: it compares the unit's Railway project and
// Redis with the spec and converges them, like a controller's syncHandler.
//
// It reads, without the owner: one batched Railway observation (the
// environment's service instances and the consumers' raw variables; the
// project's ids only when the cached ones are cold or stale; the addon's
// rendered URL only when its deployment changed), and with po.Probe one
// probe round. It then hands what it read to the owner, which folds it
// into the state (bookkeeping, health machine), computes the plan with
// Diff, carries the plan out unless po.DryRun, sets the conditions and the
// phase, and saves the state.
//
// It writes: the plan's mutations (create the addon, set variables, deploy
// a consumer), each preceded by a state save; and the state.
//
// Errors: the result's Err is the first failure, already recorded in the
// conditions. A failed observation leaves the phase Unknown and acts on
// nothing but an owed rollback. A permanent error (Classify) needs a fix
// in the spec, the token or the project; any other is retried by the next
// pass. A pass whose observation predates a write made meanwhile by a
// round observes once more rather than undo it. Interrupted means a
// rollback or roll forward took precedence; Acted and Plan.Waiting say
// whether more passes are needed soon (a requeue).
func (r *Reconciler) Pass(ctx context.Context, po PassOptions) *Result {
	for attempt := 0; ; attempt++ {
		sp, snap := r.spec.Load(), r.snap.Load()
		ctx := ctx
		if snap.owed {
			// A rollback or roll forward is being written: its reads may
			// use the rate limit's reserve.
			ctx = railway.Essential(ctx)
		}
		if snap.failing {
			// Railway failed the last observation: this pass is the retry
			// (and the next pass the one after), one attempt each.
			ctx = railway.SingleAttempt(ctx)
		}
		obs := r.observe(ctx, sp, snap.observe)
		url := r.redisURL(ctx, sp, obs, snap.url)
		var round *probes.Round
		if po.Probe {
			cfg := roundConfig(sp, snap)
			if sp.Health.Redis.URL.IsZero() {
				cfg.RedisURL, cfg.RedisURLUnknown = url.url, url.why
			}
			rd := r.opts.Prober.Round(ctx, cfg)
			round = &rd
		}
		var res *Result
		err := r.submit(r.normal, &job{fn: func() {
			res = r.applyPass(ctx, passInput{sp: sp, obs: obs, round: round, url: url, writes: snap.writes, retry: attempt > 0}, po)
		}})
		switch {
		case err != nil:
			return &Result{Plan: &Plan{Drift: []DriftItem{}}, Obs: obs, Round: round, Phase: snap.state.Phase, Err: err}
		case res != nil:
			return res
		}
	}
}

// passInput is what a pass read, handed to the owner.
type passInput struct {
	sp     *spec.Spec
	obs    *Observed
	round  *probes.Round
	url    urlCache
	writes uint64 // the owner's write count when the read began
	retry  bool
}

// applyPass is the owner's part of a pass; nil asks the caller to observe
// again (a write happened since its read began).
func (r *Reconciler) applyPass(ctx context.Context, in passInput, po PassOptions) *Result {
	if r.o.writes != in.writes && !in.retry {
		return nil
	}
	if r.o.fenced != nil {
		return &Result{Plan: &Plan{Drift: []DriftItem{}}, Obs: in.obs, Round: in.round, Phase: r.o.st.Phase, Err: r.o.fenced}
	}
	sp, obs, now := in.sp, in.obs, r.now()
	r.o.url = in.url
	r.noteObservation(obs, now)
	var decisions []Decision
	if in.round != nil {
		decisions = r.feedRound(sp, *in.round, obs.Err == nil, now)
	}
	if obs.Err == nil {
		r.record(bookkeep(sp, r.o.st, obs, now)...)
		r.o.lastObs = obs
	}
	plan := Diff(DiffInput{Spec: sp, Obs: obs, State: r.o.st, Decisions: decisions, Now: now, Retry: po.Retry})
	res := &Result{Plan: plan, Obs: obs, Round: in.round, Err: obs.Err}
	if !po.DryRun {
		r.settle(plan)
		if plan.Pending() {
			actx := ctx
			if obs.Err != nil {
				// Railway is failing (only an owed rollback is planned):
				// one attempt; the rounds retry it every probe interval.
				actx = railway.SingleAttempt(ctx)
			}
			res.Acted, res.Err = r.actPass(actx, sp, plan, obs)
		}
		res.Interrupted = interrupted(res.Err)
		if res.Interrupted {
			res.Err = nil
		} else if res.Err == nil && obs.Err == nil {
			r.o.st.Owed = nil // every owed write was planned from a fresh read and carried out
		}
	}
	r.o.lastPlan = plan
	r.o.railErr = res.Err
	r.summarize(sp, obs, in.round, res.Err, now)
	res.Phase = r.o.st.Phase
	r.savePass(res)
	return res
}

// actPass carries out a pass's plan; an urgent job that must write may
// interrupt it between or during its writes — except an addon creation,
// which runs to its end so that its workflow id is always saved.
func (r *Reconciler) actPass(ctx context.Context, sp *spec.Spec, plan *Plan, obs *Observed) (int, error) {
	return r.act(ctx, sp, plan, obs, true)
}

// settle clears the owed writes the observation shows already in place
// (a second rollback, or a roll forward Railway already matches).
func (r *Reconciler) settle(plan *Plan) {
	if len(plan.Satisfied) == 0 {
		return
	}
	r.o.st.Owed = slices.DeleteFunc(r.o.st.Owed, func(s string) bool { return slices.Contains(plan.Satisfied, s) })
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
		zap.Int("drift", len(res.Plan.Drift)), zap.String("phase", string(r.o.st.Phase)), zap.Bool("interrupted", res.Interrupted))
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
	bm := &r.o.st.Observed
	bm.At = now.UTC()
	if obs.Err != nil {
		if r.o.obs != obsFailed {
			r.record(state.Event{At: now, Type: state.EventObservationFailed, Message: "reading railway failed: " + obs.Err.Error()})
		}
		r.o.obs, bm.OK, bm.Error = obsFailed, false, obs.Err.Error()
		return
	}
	if r.o.obs == obsFailed {
		r.record(state.Event{At: now, Type: state.EventObservationOK, Message: "reading railway works again"})
	}
	r.o.obs, bm.OK, bm.Error = obsOK, true, ""
}
