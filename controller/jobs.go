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

// startSchedules creates the three cron entries, starts the runner and runs
// a first pass, then a first round, at once.
func (c *Controller) startSchedules() {
	// cron's runner follows the wall clock, and so must the grid it fires on.
	c.anchor = time.Now()
	c.cron = cron.New(cron.WithLogger(cronLogger{c.log.Named("cron")}))
	// Each job is wrapped once, here, rather than by cron.WithChain at
	// every Schedule call: the SkipIfStillRunning guard then survives a
	// reschedule, so a run in flight never overlaps the new entry's first.
	c.jobs = map[string]cron.Job{
		jobReconcile: c.wrap(jobReconcile, c.reconcileOnce),
		jobProbe:     c.wrap(jobProbe, c.probeOnce),
		jobReport:    c.wrap(jobReport, c.reportOnce),
	}
	c.entries = map[string]cron.EntryID{}
	for _, name := range []string{jobReconcile, jobProbe, jobReport} {
		c.entries[name] = c.cron.Schedule(c.scheduleFor(name, c.sp), c.jobs[name])
	}
	c.warnSlowRounds(c.sp)
	c.cron.Start()
	go func() {
		c.jobs[jobReconcile].Run()
		c.jobs[jobProbe].Run()
	}()
}

// wrap makes fn a cron job that never overlaps itself, survives a panic,
// and is counted as in flight for the shutdown (and refused once it began).
func (c *Controller) wrap(name string, fn func(ctx context.Context)) cron.Job {
	l := cronLogger{c.log.With(zap.String("job", name))}
	inner := cron.FuncJob(func() {
		if !c.enter() {
			return
		}
		defer c.running.Done()
		fn(c.workCtx)
	})
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(inner)
}

// enter counts a job in flight, unless the controller is stopping.
func (c *Controller) enter() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopping {
		return false
	}
	c.running.Add(1)
	return true
}

// scheduleFor returns the cron schedule of a job under sp.
func (c *Controller) scheduleFor(name string, sp *spec.Spec) cron.Schedule {
	switch name {
	case jobReconcile:
		return &jittered{base: scheduleOf(sp.Schedule.Reconcile, c.anchor), frac: jitterFraction, rand: c.opts.Rand}
	case jobProbe:
		return scheduleOf(sp.Schedule.Probe, c.anchor)
	default:
		return scheduleOf(sp.Schedule.Report, c.anchor)
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

// reschedule replaces the entries whose schedule changed between old and sp.
func (c *Controller) reschedule(old, sp *spec.Spec) {
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
		c.cron.Remove(c.entries[p.name])
		c.entries[p.name] = c.cron.Schedule(c.scheduleFor(p.name, sp), c.jobs[p.name])
		c.log.Info("schedule changed", zap.String("job", p.name), zap.String("from", p.was.Expr), zap.String("to", p.now.Expr))
	}
}

// reconcileOnce is the reconcile job: one pass, and a sooner follow-up
// while something it waits for is in progress.
func (c *Controller) reconcileOnce(ctx context.Context) {
	res := c.pass(ctx)
	c.maybeRequeue(res)
}

// pass runs one pass (no probe round: rounds run on their own schedule)
// and notes whether Railway could be observed.
func (c *Controller) pass(ctx context.Context) *reconcile.Result {
	c.passMu.Lock()
	defer c.passMu.Unlock()
	res := c.reconciler().Pass(ctx, reconcile.PassOptions{})
	if res.Obs != nil && res.Obs.Err == nil {
		c.observed.Store(true)
	}
	return res
}

// maybeRequeue schedules a follow-up pass after a quarter of the reconcile
// period when the pass acted or waits for something in progress (an addon
// being created, a deploy), so that convergence does not wait whole
// periods; at most maxRequeues times in a row.
func (c *Controller) maybeRequeue(res *reconcile.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	busy := res.Err == nil && (res.Acted > 0 || len(res.Plan.Waiting) > 0)
	d := period(c.sp.Schedule.Reconcile, c.opts.Now()) / 4
	if !busy || c.stopping || c.requeues >= maxRequeues || d <= 0 {
		if !busy {
			c.requeues = 0
		}
		return
	}
	c.requeues++
	if c.requeue != nil {
		c.requeue.Stop()
	}
	job := c.jobs[jobReconcile]
	c.requeue = time.AfterFunc(d, job.Run)
}

// probeOnce is the probe job: one round, whose rollback or roll forward
// decision the reconciler carries out at once.
func (c *Controller) probeOnce(ctx context.Context) {
	round, err := c.reconciler().Round(ctx)
	if err != nil {
		// The reconciler already logged the failed write (retried next round).
		c.log.Debug("probe round could not act", zap.Error(err))
	}
	c.log.Debug("probe round", zap.Stringer("redis", round.Redis), zap.Duration("duration", round.Duration))
}

// reportOnce is the report job: a fresh pass, then the report.
func (c *Controller) reportOnce(ctx context.Context) {
	c.pass(ctx)
	if err := c.deliverReport(ctx, c.reconciler()); err != nil {
		c.log.Error("drift report failed", zap.Error(err))
		c.m.reports.WithLabelValues("error").Inc()
		return
	}
	c.m.reports.WithLabelValues("ok").Inc()
}
