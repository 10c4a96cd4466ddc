package controller

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
)

// Job names (the "job" field of their logs).
const (
	jobReconcile = "reconcile"
	jobProbe     = "probe"
	jobReport    = "report"
)

// maxRequeues bounds the consecutive follow-up passes made while something
// is in progress; after that the reconcile schedule alone drives passes.
const maxRequeues = 30

// startSchedules creates the term's cron entries, starts its runner and
// runs a first pass, then a first round, at once. The report job is the
// unit's own in a single-spec run; a fleet reports per schedule (see
// fleetReports).
func (c *Controller) startSchedules(t *term, u *unit) {
	sp := u.Spec()
	// Under t.mu, as restretch (the budget, from another goroutine) and
	// reschedule (a reload) change the entries: a stretch decided before
	// this point is read below, one decided after reschedules.
	t.mu.Lock()
	defer t.mu.Unlock()
	t.anchor = c.anchor // one grid for every unit: passes of one environment fire together
	t.cron = cron.New(cron.WithLogger(cronLogger{u.log.Named("cron")}))
	// Each job is wrapped once, here, rather than by cron.WithChain at
	// every Schedule call: the SkipIfStillRunning guard then survives a
	// reschedule, so a run in flight never overlaps the new entry's first.
	t.jobs = map[string]cron.Job{
		jobReconcile: c.wrap(t, u, jobReconcile, u.reconcileOnce),
		jobProbe:     c.wrap(t, u, jobProbe, u.probeOnce),
	}
	names := []string{jobReconcile, jobProbe}
	if !c.fleetMode() {
		t.jobs[jobReport] = c.wrap(t, u, jobReport, u.reportOnce)
		names = append(names, jobReport)
	}
	t.entries = map[string]cron.EntryID{}
	for _, name := range names {
		t.entries[name] = t.cron.Schedule(c.scheduleFor(t, u, name, sp), t.jobs[name])
	}
	c.warnSlowRounds(sp)
	t.cron.Start()
	go func() {
		t.jobs[jobReconcile].Run()
		t.jobs[jobProbe].Run()
	}()
}

// wrap makes fn a cron job of term t that never overlaps itself, survives
// a panic, and is counted as in flight for the term's end (and refused
// once it began).
func (c *Controller) wrap(t *term, u *unit, name string, fn func(ctx context.Context, t *term)) cron.Job {
	l := cronLogger{u.log.With(zap.String("job", name))}
	inner := cron.FuncJob(func() {
		if !t.enter() {
			return
		}
		defer t.running.Done()
		fn(t.ctx, t)
	})
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(inner)
}

// scheduleFor returns the cron schedule of a job of unit u under sp. The
// reconcile schedule is stretched to the budget's fair share, and its
// jitter is the same for every unit of one environment, so that their
// passes fire together and share one observation.
func (c *Controller) scheduleFor(t *term, u *unit, name string, sp *spec.Spec) cron.Schedule {
	switch name {
	case jobReconcile:
		base := scheduleOf(stretched(sp.Schedule.Reconcile, u.stretchedInterval()), t.anchor)
		return &jittered{base: base, frac: jitterFraction, rand: c.jitterFor(sp)}
	case jobProbe:
		return scheduleOf(sp.Schedule.Probe, t.anchor)
	default:
		return scheduleOf(sp.Schedule.Report, t.anchor)
	}
}

// jitterFor returns the jitter source of sp's reconcile schedule: the
// options' in a single-spec run, else a value derived from the
// environment, the same for every unit of it.
func (c *Controller) jitterFor(sp *spec.Spec) func() float64 {
	if !c.fleetMode() {
		return c.opts.Rand
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(sp.Railway.ProjectID + "/" + sp.Railway.Environment))
	v := float64(h.Sum64()%1_000_000) / 1_000_000
	return func() float64 { return v }
}

// warnSlowRounds says when a round may outlast its interval: a round takes
// up to probeTimeout + probes.RoundMargin, and a round still running when
// the next is due makes that one skipped, delaying a rollback by an interval.
func (c *Controller) warnSlowRounds(sp *spec.Spec) {
	every := period(sp.Schedule.Probe, c.opts.Now())
	if longest := sp.Health.ProbeTimeout + probes.RoundMargin; every > 0 && longest >= every {
		c.log.Warn("a probe round may outlast the probe interval; lower health.probeTimeout",
			zap.String("spec", sp.Name), zap.Duration("probeTimeout", sp.Health.ProbeTimeout), zap.Duration("interval", every),
			zap.Duration("roundMargin", probes.RoundMargin))
	}
}

// reschedule replaces the term's entries whose schedule changed between
// old and sp.
func (c *Controller) reschedule(t *term, u *unit, old, sp *spec.Spec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range []struct {
		name     string
		was, now spec.Cron
	}{
		{jobReconcile, old.Schedule.Reconcile, sp.Schedule.Reconcile},
		{jobProbe, old.Schedule.Probe, sp.Schedule.Probe},
		{jobReport, old.Schedule.Report, sp.Schedule.Report},
	} {
		id, ok := t.entries[p.name]
		if !ok || sameCron(p.was, p.now) {
			continue
		}
		t.cron.Remove(id)
		t.entries[p.name] = t.cron.Schedule(c.scheduleFor(t, u, p.name, sp), t.jobs[p.name])
		u.log.Info("schedule changed", zap.String("job", p.name), zap.String("from", p.was.Expr), zap.String("to", p.now.Expr))
	}
}

// restretch reschedules the term's reconcile entry after the budget
// changed the unit's effective interval.
func (c *Controller) restretch(t *term, u *unit) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ending || t.cron == nil {
		return
	}
	t.cron.Remove(t.entries[jobReconcile])
	t.entries[jobReconcile] = t.cron.Schedule(c.scheduleFor(t, u, jobReconcile, u.Spec()), t.jobs[jobReconcile])
}

// reconcileOnce is the reconcile job: one pass, and a sooner follow-up
// while something it waits for is in progress.
func (u *unit) reconcileOnce(ctx context.Context, t *term) {
	res := u.pass(ctx, t)
	u.maybeRequeue(t, res)
}

// pass runs one pass (no probe round: rounds run on their own schedule)
// and notes whether Railway could be observed. While backing off after a
// permanent error it runs none and returns nil.
func (u *unit) pass(ctx context.Context, t *term) *reconcile.Result {
	t.passMu.Lock()
	defer t.passMu.Unlock()
	now := u.c.opts.Now
	if t.backoff.skip(now()) {
		u.log.Debug("reconcile pass skipped: backing off after a permanent error")
		return nil
	}
	gen := t.backoff.generation()
	res := t.rec.Pass(ctx, reconcile.PassOptions{})
	t.backoff.record(res, now(), gen)
	if res.Obs != nil && res.Obs.Err == nil {
		u.observed.Store(true)
	}
	return res
}

// maybeRequeue schedules a follow-up pass after a quarter of the reconcile
// period when the pass acted, was interrupted, or waits for something in
// progress (an addon being created, a deploy), so that convergence does
// not wait whole periods; at most maxRequeues times in a row.
func (u *unit) maybeRequeue(t *term, res *reconcile.Result) {
	busy := res != nil && res.Err == nil && (res.Acted > 0 || res.Interrupted || len(res.Plan.Waiting) > 0)
	d := period(u.Spec().Schedule.Reconcile, u.c.opts.Now()) / 4
	t.mu.Lock()
	defer t.mu.Unlock()
	if !busy || t.ending || t.requeues >= maxRequeues || d <= 0 {
		if !busy {
			t.requeues = 0
		}
		return
	}
	t.requeues++
	if t.requeue != nil {
		t.requeue.Stop()
	}
	t.requeue = time.AfterFunc(d, t.jobs[jobReconcile].Run)
}

// probeOnce is the probe job: one round, whose rollback or roll forward
// decision the reconciler carries out at once.
func (u *unit) probeOnce(ctx context.Context, t *term) {
	round, err := t.rec.Round(ctx)
	if err != nil {
		// The reconciler already logged the failed write (retried next round).
		u.log.Debug("probe round could not act", zap.Error(err))
	}
	u.log.Debug("probe round", zap.Stringer("addon", round.Addon), zap.Duration("duration", round.Duration))
}

// reportOnce is the report job of a single-spec run: a fresh pass, then
// the report.
func (u *unit) reportOnce(ctx context.Context, t *term) {
	u.pass(ctx, t)
	if err := u.deliverReport(ctx, t.rec); err != nil {
		u.log.Error("drift report failed", zap.Error(err))
		u.m.report("error")
		return
	}
	u.m.report("ok")
}
