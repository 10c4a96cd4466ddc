package reconcile

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Round runs one probe round from the published published, then hands it
// to the owner on the urgent lane: the owner feeds it to the health
// machine and carries out at once any rollback or roll forward it decides
// (or one still owed), interrupting a pass in flight only then. A round
// never waits for a pass. It returns the round and the error of the
// writes, if any.
func (r *Reconciler) Round(ctx context.Context) (probes.Round, error) {
	sp := r.spec.Load()
	round := r.opts.Prober.Round(ctx, roundConfig(sp, r.snap.Load()))
	var err error
	j := &job{
		writes: func() bool { return r.roundWrites(sp, round) },
		fn:     func() { err = r.applyRound(ctx, sp, round) },
	}
	if serr := r.submit(r.urgent, j); serr != nil {
		return round, serr
	}
	return round, err
}

// roundWrites reports, on the owner, whether applying round would write:
// a rollback or roll forward falls due, or writes are owed.
func (r *Reconciler) roundWrites(sp *spec.Spec, round probes.Round) bool {
	if r.o.fenced != nil {
		return false
	}
	_, ds, _ := Step(r.o.st.Health, sp.Rollback, roundInput(round, r.o.obs == obsOK), r.now())
	return len(ds) > 0 || len(r.o.st.Owed) > 0
}

func (r *Reconciler) applyRound(ctx context.Context, sp *spec.Spec, round probes.Round) error {
	if r.o.fenced != nil {
		return r.o.fenced
	}
	now := r.now()
	decisions := r.feedRound(sp, round, r.o.obs == obsOK, now)
	var err error
	if len(r.o.st.Owed) > 0 {
		wctx := ctx
		if r.o.railErr != nil || r.o.obs == obsFailed {
			// Railway failed last time (an outage, a blip): this round is
			// the retry and the next round the one after; the client's own
			// retries would only multiply the requests a failing Railway
			// gets, and drain the request budget the recovery needs.
			wctx = railway.SingleAttempt(ctx)
		}
		err = r.carryOut(wctx, sp, decisions, now)
		r.o.railErr = err
	}
	// Ready keeps the last failure of a pass or a write (an edge block, an
	// outage) until one succeeds: a round that writes nothing knows no
	// better.
	r.summarize(sp, nil, &round, r.o.railErr, now)
	if perr := r.persist(); perr != nil {
		r.log.Warn("saving the state after a probe round failed", zap.Error(perr))
		if err == nil {
			err = perr
		}
	}
	return err
}

// carryOut writes the variables owed for a decision, to the consumers that
// still owe them, from the last observation (or, when Railway cannot be
// read, every rollback variable to every consumer whose id is known).
func (r *Reconciler) carryOut(ctx context.Context, sp *spec.Spec, decisions []Decision, now time.Time) error {
	obs := r.o.lastObs
	if r.o.obs == obsFailed {
		obs = nil
	}
	plan := Diff(DiffInput{Spec: sp, Obs: obs, State: r.o.st, Decisions: decisions, Now: now, DecisionsOnly: true})
	r.settle(plan)
	_, err := r.act(ctx, sp, plan, obs, false)
	if err != nil {
		r.log.Warn("writing the variables of a rollback or roll forward failed, retrying next round", zap.Error(err))
	}
	return err
}

// feedRound steps the machine with a round and records what it says.
func (r *Reconciler) feedRound(sp *spec.Spec, round probes.Round, known bool, now time.Time) []Decision {
	st := r.o.st
	h, ds, evs := Step(st.Health, sp.Rollback, roundInput(round, known), now)
	st.Health = h
	if len(ds) > 0 {
		st.Owed = sp.ConsumerNames()
	}
	r.record(evs...)
	var latency time.Duration
	var used int64
	if c, ok := addonCheck(round); ok && c.OK {
		latency, used = c.Latency, c.UsedMemory
	}
	st.Summary.Observe(round.Addon.String(), latency, used)
	st.LastProbe = probeSummary(round)
	if r.opts.Hooks.Round != nil {
		r.opts.Hooks.Round(round)
	}
	return ds
}

// roundInput is the machine's input for a probe round.
func roundInput(round probes.Round, known bool) Input {
	in := Input{Kind: InputRound, Known: known, Reason: round.Reason}
	switch round.Addon {
	case probes.VerdictHealthy:
		in.Healthy = true
	case probes.VerdictInconclusive:
		in.Inconclusive = true
	}
	return in
}

// addonCheck returns the round's check of the addon itself.
func addonCheck(round probes.Round) (probes.Check, bool) {
	for _, c := range round.Checks {
		if c.Kind == probes.KindRedis {
			return c, true
		}
	}
	return probes.Check{}, false
}

func probeSummary(round probes.Round) *state.Probe {
	p := &state.Probe{At: round.At.UTC(), Healthy: round.Addon == probes.VerdictHealthy && round.ConsumersHealthy,
		Verdict: round.Addon.String(), Reason: round.Reason, Checks: make([]state.ProbeCheck, 0, len(round.Checks))}
	for _, c := range round.Checks {
		p.Checks = append(p.Checks, state.ProbeCheck{Name: c.Name, OK: c.OK, Step: c.Step, Message: c.Message,
			LatencyMs: float64(c.Latency.Microseconds()) / 1000})
	}
	return p
}

// ErrNothingToRollForward means rollforward was asked while not rolled back.
var ErrNothingToRollForward = errors.New("not rolled back: nothing to roll forward")

// Rollback is `reconciler rollback --reason`: roll back now and hold until
// a person runs rollforward. The writes go out at once, from the last
// observation (a pass first, when there is none).
func (r *Reconciler) Rollback(ctx context.Context, reason string) error {
	return r.manual(ctx, Input{Kind: InputManualRollback, Text: reason})
}

// RollForward is `reconciler rollforward`: leave Held (or RolledBack),
// restore the declared variables and deploy.
func (r *Reconciler) RollForward(ctx context.Context) error {
	return r.manual(ctx, Input{Kind: InputManualRollForward})
}

func (r *Reconciler) manual(ctx context.Context, in Input) error {
	var err error
	j := &job{writes: func() bool { return true }, fn: func() { err = r.applyManual(ctx, in) }}
	if serr := r.submit(r.urgent, j); serr != nil {
		return serr
	}
	return err
}

func (r *Reconciler) applyManual(ctx context.Context, in Input) error {
	if r.o.fenced != nil {
		return r.o.fenced
	}
	sp, now := r.spec.Load(), r.now()
	in.Known = r.o.obs == obsOK
	h, ds, evs := Step(r.o.st.Health, sp.Rollback, in, now)
	if len(ds) == 0 {
		return ErrNothingToRollForward
	}
	r.o.st.Health = h
	r.o.st.Owed = sp.ConsumerNames()
	r.record(evs...)
	err := r.carryOut(ctx, sp, ds, now)
	r.o.railErr = err
	r.summarize(sp, nil, nil, err, now)
	if perr := r.persist(); perr != nil && err == nil {
		err = perr
	}
	return err
}
