package controller

import (
	"context"
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

// startSchedules creates the term's three cron entries, starts its runner
// and runs a first pass, then a first round, at once.
func (c *Controller) startSchedules(t *term) {
	sp := c.Spec()
	// cron's runner follows the wall clock, and so must the grid it fires on.
	t.anchor = time.Now()
	t.cron = cron.New(cron.WithLogger(cronLogger{c.log.Named("cron")}))
	// Each job is wrapped once, here, rather than by cron.WithChain at
	// every Schedule call: the SkipIfStillRunning guard then survives a
	// reschedule, so a run in flight never overlaps the new entry's first.
	t.jobs = map[string]cron.Job{
		jobReconcile: c.wrap(t, jobReconcile, c.reconcileOnce),
		jobProbe:     c.wrap(t, jobProbe, c.probeOnce),
		jobReport:    c.wrap(t, jobReport, c.reportOnce),
	}
	t.entries = map[string]cron.EntryID{}
	for _, name := range []string{jobReconcile, jobProbe, jobReport} {
		t.entries[name] = t.cron.Schedule(c.scheduleFor(t, name, sp), t.jobs[name])
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
func (c *Controller) wrap(t *term, name string, fn func(ctx context.Context, t *term)) cron.Job {
	l := cronLogger{c.log.With(zap.String("job", name))}
	inner := cron.FuncJob(func() {
		if !t.enter() {
			return
		}
		defer t.running.Done()
		fn(t.ctx, t)
	})
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(inner)
}

// scheduleFor returns the cron schedule of a job under sp.
func (c *Controller) scheduleFor(t *term, name string, sp *spec.Spec) cron.Schedule {
	switch name {
	case jobReconcile:
		return &jittered{base: scheduleOf(sp.Schedule.Reconcile, t.anchor), frac: jitterFraction, rand: c.opts.Rand}
	case jobProbe:
		return scheduleOf(sp.Schedule.Probe, t.anchor)
	default:
		return scheduleOf(sp.Schedule.Report, t.anchor)
	}
}

// warnSlowRounds says when a round may outlast its interval: a round takes
// up to probeTimeout + probes.RoundMargin, and a round still running when
// the next is due makes that one skipped, delaying a rollback by an interval.
func (c *Controller) warnSlowRounds(sp *spec.Spec) {
	every := period(sp.Schedule.Probe, c.opts.Now())
	if longest := sp.Health.ProbeTimeout + probes.RoundMargin; every > 0 && longest >= every {
		c.log.Warn("a probe round may outlast the probe interval; lower health.probeTimeout",
			zap.Duration("probeTimeout", sp.Health.ProbeTimeout), zap.Duration("interval", every),
			zap.Duration("roundMargin", probes.RoundMargin))
	}
}

// reschedule replaces the term's entries whose schedule changed between
// old and sp.
func (c *Controller) reschedule(t *term, old, sp *spec.Spec) {
	pairs := []struct {
		name     string
		was, now spec.Cron
	}{
		{jobReconcile, old.Schedule.Reconcile, sp.Schedule.Reconcile},
		{jobProbe, old.Schedule.Probe, sp.Schedule.Probe},
		{jobReport, old.Schedule.Report, sp.Schedule.Report},
	}
	for _, p := range pairs {
		if sameCron(p.was, p.now) {
			continue
		}
		t.cron.Remove(t.entries[p.name])
		t.entries[p.name] = t.cron.Schedule(c.scheduleFor(t, p.name, sp), t.jobs[p.name])
		c.log.Info("schedule changed", zap.String("job", p.name), zap.String("from", p.was.Expr), zap.String("to", p.now.Expr))
	}
}

// reconcileOnce is the reconcile job: one pass, and a sooner follow-up
// while something it waits for is in progress.
func (c *Controller) reconcileOnce(ctx context.Context, t *term) {
	res := c.pass(ctx, t)
	c.maybeRequeue(t, res)
}

// pass runs one pass (no probe round: rounds run on their own schedule)
// and notes whether Railway could be observed. While backing off after a
// permanent error it runs none and returns nil.
func (c *Controller) pass(ctx context.Context, t *term) *reconcile.Result {
	t.passMu.Lock()
	defer t.passMu.Unlock()
	if t.backoff.skip(c.opts.Now()) {
		c.log.Debug("reconcile pass skipped: backing off after a permanent error")
		return nil
	}
	res := t.rec.Pass(ctx, reconcile.PassOptions{})
	t.backoff.record(res, c.opts.Now())
	if res.Obs != nil && res.Obs.Err == nil {
		c.observed.Store(true)
	}
	return res
}

// maybeRequeue schedules a follow-up pass after a quarter of the reconcile
// period when the pass acted, was interrupted, or waits for something in
// progress (an addon being created, a deploy), so that convergence does
// not wait whole periods; at most maxRequeues times in a row.
func (c *Controller) maybeRequeue(t *term, res *reconcile.Result) {
	busy := res != nil && res.Err == nil && (res.Acted > 0 || res.Interrupted || len(res.Plan.Waiting) > 0)
	d := period(c.Spec().Schedule.Reconcile, c.opts.Now()) / 4
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
func (c *Controller) probeOnce(ctx context.Context, t *term) {
	round, err := t.rec.Round(ctx)
	if err != nil {
		// The reconciler already logged the failed write (retried next round).
		c.log.Debug("probe round could not act", zap.Error(err))
	}
	c.log.Debug("probe round", zap.Stringer("addon", round.Addon), zap.Duration("duration", round.Duration))
}

// reportOnce is the report job: a fresh pass, then the report.
func (c *Controller) reportOnce(ctx context.Context, t *term) {
	c.pass(ctx, t)
	if err := c.deliverReport(ctx, t.rec); err != nil {
		c.log.Error("drift report failed", zap.Error(err))
		c.m.reports.WithLabelValues("error").Inc()
		return
	}
	c.m.reports.WithLabelValues("ok").Inc()
}
