package reconcile

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Round runs one probe round, feeds it to the health machine, and carries
// out at once any rollback or roll forward it decides (or one still owed),
// preempting a pass in flight. It returns the round and the error of the
// writes, if any.
func (r *Reconciler) Round(ctx context.Context) (probes.Round, error) {
	sp, v := r.spec.Load(), r.view.Load()
	round := r.opts.Prober.Round(ctx, roundConfig(sp, v))

	// Preempt a pass in flight only when this round must write: a rollback
	// or roll forward falls due, or writes are still owed. (A pass may move
	// the machine meanwhile; this only decides whether to interrupt it.)
	if _, ds, _ := Step(v.health, sp.Rollback, roundInput(round, v.known), r.now()); len(ds) > 0 || v.owed {
		r.lockPreempting()
	} else {
		r.roundsWaiting.Add(1)
		r.mu.Lock()
		r.roundsWaiting.Add(-1)
	}
	defer r.mu.Unlock()
	now := r.now()
	decisions := r.feedRound(sp, round, r.obs == obsOK, now)
	var err error
	if len(r.st.Owed) > 0 {
		err = r.carryOut(ctx, sp, decisions, now)
	}
	r.summarize(sp, nil, &round, err, now)
	if perr := r.persist(); perr != nil {
		r.log.Warn("saving the state after a probe round failed", zap.Error(perr))
		if err == nil {
			err = perr
		}
	}
	return round, err
}

// carryOut writes the variables owed for a decision, to the consumers that
// still owe them, from the last observation (or, when Railway cannot be
// read, every rollback variable to every consumer whose id is known).
func (r *Reconciler) carryOut(ctx context.Context, sp *spec.Spec, decisions []Decision, now time.Time) error {
	obs := r.lastObs
	if r.obs == obsFailed {
		obs = nil
	}
	plan := Diff(DiffInput{Spec: sp, Obs: obs, State: r.st, Decisions: decisions, Now: now, DecisionsOnly: true})
	_, err := r.act(ctx, sp, plan, obs)
	if err != nil {
		r.log.Warn("writing the variables of a rollback or roll forward failed, retrying next round", zap.Error(err))
	}
	return err
}

// feedRound steps the machine with a round and records what it says.
func (r *Reconciler) feedRound(sp *spec.Spec, round probes.Round, known bool, now time.Time) []Decision {
	h, ds, evs := Step(r.st.Health, sp.Rollback, roundInput(round, known), now)
	r.st.Health = h
	if len(ds) > 0 {
		r.st.Owed = sp.ConsumerNames()
	}
	r.record(evs...)
	var latency time.Duration
	var used int64
	if c, ok := redisCheck(round); ok && c.OK {
		latency, used = c.Latency, c.UsedMemory
	}
	r.st.Summary.Observe(round.Redis.String(), latency, used)
	r.st.LastProbe = probeSummary(round)
	if r.opts.Hooks.Round != nil {
		r.opts.Hooks.Round(round)
	}
	return ds
}

// roundInput is the machine's input for a probe round.
func roundInput(round probes.Round, known bool) Input {
	in := Input{Kind: InputRound, Known: known, Reason: round.Reason}
	switch round.Redis {
	case probes.VerdictHealthy:
		in.Healthy = true
	case probes.VerdictInconclusive:
		in.Inconclusive = true
	}
	return in
}

func redisCheck(round probes.Round) (probes.Check, bool) {
	for _, c := range round.Checks {
		if c.Kind == probes.KindRedis {
			return c, true
		}
	}
	return probes.Check{}, false
}

func probeSummary(round probes.Round) *state.Probe {
	p := &state.Probe{At: round.At.UTC(), Healthy: round.Redis == probes.VerdictHealthy && round.ConsumersHealthy,
		Verdict: round.Redis.String(), Reason: round.Reason, Checks: make([]state.ProbeCheck, 0, len(round.Checks))}
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
	r.lockPreempting()
	defer r.mu.Unlock()
	sp, now := r.spec.Load(), r.now()
	in.Known = r.obs == obsOK
	h, ds, evs := Step(r.st.Health, sp.Rollback, in, now)
	if len(ds) == 0 {
		return ErrNothingToRollForward
	}
	r.st.Health = h
	r.st.Owed = sp.ConsumerNames()
	r.record(evs...)
	err := r.carryOut(ctx, sp, ds, now)
	r.summarize(sp, nil, nil, err, now)
	if perr := r.persist(); perr != nil && err == nil {
		err = perr
	}
	return err
}

// urlCache holds the addon's rendered Redis URL, keyed by the addon's
// service and latest deployment, so it is read again only when it may have
// changed. It lives in memory only: it carries the password.
type urlCache struct {
	key string
	url spec.Secret
}

// redisURL refreshes the cached rendered URL from a successful
// observation when the addon or its deployment changed, and returns the
// URL to probe. Read failures keep the old URL (and are logged).
func (r *Reconciler) redisURL(ctx context.Context, sp *spec.Spec, obs *Observed) spec.Secret {
	r.mu.Lock()
	cached, key := r.url.url, r.url.key
	r.mu.Unlock()
	if !sp.Health.Redis.URL.IsZero() {
		return sp.Health.Redis.URL
	}
	if obs.Err != nil || obs.Addon == nil {
		return cached
	}
	want := obs.Addon.ServiceID
	if d := obs.Addon.LatestDeployment; d != nil {
		want += "/" + d.ID
	}
	if want == key {
		return cached
	}
	vars, err := r.opts.Railway.RenderedVariables(ctx, obs.ProjectID, obs.EnvironmentID, obs.Addon.ServiceID)
	if err != nil {
		r.log.Warn("reading the addon's redis url failed", zap.Error(err))
		return cached
	}
	u := r.pickURL(vars)
	r.mu.Lock()
	r.url = urlCache{key: want, url: u}
	r.publish()
	r.mu.Unlock()
	return u
}

// pickURL chooses REDIS_URL inside Railway. Outside, a private-network URL
// (*.railway.internal) cannot be reached, and probing it would read as an
// outage: REDIS_PUBLIC_URL is used when the addon has one, else nothing
// (rounds are inconclusive and say why).
func (r *Reconciler) pickURL(vars map[string]spec.Secret) spec.Secret {
	u := vars["REDIS_URL"]
	if r.opts.InsideRailway || !privateHost(u.Value()) {
		return u
	}
	if pub := vars["REDIS_PUBLIC_URL"]; !pub.IsZero() {
		return pub
	}
	r.log.Warn("the addon's REDIS_URL uses Railway's private network, unreachable from outside the project; set health.redis.url to probe redis from here",
		zap.String("url", spec.RedactURL(u.Value())))
	return spec.Secret{}
}

func privateHost(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && strings.HasSuffix(u.Hostname(), ".railway.internal")
}
