package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// fleetReports writes a fleet's drift reports: one combined report per
// group of specs with the same report schedule, format and sinks
// (report.GroupSpecs), holding the units this replica leads: a table of
// the units, then each unit's section (one unit: the single report). Each
// unit's notifications stay its own.
type fleetReports struct {
	mu      sync.Mutex
	cron    *cron.Cron
	entries []cron.EntryID
}

// scheduleReports (re)creates the report entries of the specs in use.
func (c *Controller) scheduleReports(ctx context.Context) {
	if !c.fleet {
		return
	}
	r := &c.reports
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cron == nil {
		r.cron = cron.New(cron.WithLogger(cronLogger{c.log.Named("cron")}))
		r.cron.Start()
		go func() {
			<-ctx.Done()
			<-r.cron.Stop().Done()
		}()
	}
	for _, id := range r.entries {
		r.cron.Remove(id)
	}
	r.entries = nil
	for _, group := range report.GroupSpecs(c.specsInUse()) {
		l := cronLogger{c.log.With(zap.String("job", jobReport))}
		job := cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(cron.FuncJob(func() { c.fleetReport(ctx, group) }))
		r.entries = append(r.entries, r.cron.Schedule(scheduleOf(group[0].Schedule.Report, c.anchor), job))
	}
}

// fleetReport runs a fresh pass of every unit of the group this replica
// leads, then builds the group's report, delivers it, and starts each
// unit's next report period.
func (c *Controller) fleetReport(ctx context.Context, group []*spec.Spec) {
	var units []*unit
	var terms []*term
	var inputs []report.Input
	for _, u := range c.unitList() {
		t := u.currentTerm()
		if t == nil || !slices.ContainsFunc(group, func(sp *spec.Spec) bool { return sp.Name == u.specName }) || !t.enter() {
			continue
		}
		u.pass(t.ctx, t)
		units, terms = append(units, u), append(terms, t)
		inputs = append(inputs, report.Input{Spec: u.Spec(), State: t.rec.State(), Now: c.opts.Now(), Secrets: c.secrets()})
	}
	defer func() {
		for _, t := range terms {
			t.running.Done()
		}
	}()
	if len(inputs) == 0 {
		return
	}
	err := c.deliverFleetReport(ctx, group[0], units, terms, inputs)
	result := "ok"
	if err != nil {
		c.log.Error("drift report failed", zap.Error(err))
		result = "error"
	}
	for _, u := range units {
		u.m.report(result)
	}
}

func (c *Controller) deliverFleetReport(ctx context.Context, sp *spec.Spec, units []*unit, terms []*term, inputs []report.Input) error {
	format, err := report.ParseFormat(sp.Report.Format)
	if err != nil {
		return err
	}
	sinks, err := report.NewSinks(sp.Report.Sinks, report.SinkOptions{Stdout: c.opts.Stdout, Logger: c.opts.Logger, Now: c.opts.Now,
		OnSinkError: units[0].m.sinkFailed})
	if err != nil {
		return fmt.Errorf("building the report sinks: %w", err)
	}
	doc := report.BuildAll(inputs)
	derr := sinks.Deliver(ctx, doc, format) // each failure already logged and counted
	var merr error
	for i, r := range report.UnitReports(doc) {
		units[i].history.ObserveReport(r.GeneratedAt, string(r.Status), r.Verdict)
		if err := terms[i].rec.Update(func(st *state.State) { report.MarkDelivered(st, r) }); err != nil {
			merr = errors.Join(merr, fmt.Errorf("recording the report in %s's state: %w", units[i].name, err))
		}
	}
	h := doc.Headline()
	c.log.Info("drift report written", zap.String("status", string(h.Status)), zap.String("verdict", h.Verdict),
		zap.Int("units", len(inputs)), zap.Bool("allSinks", derr == nil))
	return errors.Join(derr, merr)
}
