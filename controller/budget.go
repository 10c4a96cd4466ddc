package controller

import (
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
)

// stretchBudget fits the fleet's reconciles into each token's budget: per
// endpoint (one client, one budget: the smallest maxRequestsPerHour of the
// specs using it), it resizes the client's budget and plans the units'
// reconcile intervals with railway.FairShare (units of one project and
// environment fire together and share one observation; probe rounds cost
// nothing). When the schedules need more than the budget allows, every
// unit's interval is stretched alike, so none starves; a unit whose
// effective interval changed is rescheduled. Each unit's effective interval
// is on /status and in reconciler_reconcile_interval_seconds.
func (c *Controller) stretchBudget() {
	byEndpoint := map[string][]*unit{}
	for _, u := range c.unitList() {
		ep := u.Spec().Railway.Endpoint
		byEndpoint[ep] = append(byEndpoint[ep], u)
	}
	specs := c.specsInUse()
	for ep, units := range byEndpoint {
		budget := budgetOf(specsOn(specs, ep))
		if cl := c.clientOf(ep); cl != nil && budget > 0 {
			if err := cl.SetMaxRequestsPerHour(budget); err != nil {
				c.log.Warn("resizing the Railway budget failed", zap.Int("maxRequestsPerHour", budget), zap.Error(err))
			}
		}
		c.planUnits(budget, units)
	}
	c.m.setRailwayBudget(budgetOf(specs))
}

// planUnits applies the budget plan of the units sharing one budget.
func (c *Controller) planUnits(budget int, units []*unit) {
	sched := make([]railway.ScheduledUnit, len(units))
	for i, u := range units {
		sp := u.Spec()
		sched[i] = railway.ScheduledUnit{ProjectID: sp.Railway.ProjectID, EnvironmentID: sp.Railway.Environment,
			Period: period(sp.Schedule.Reconcile, c.opts.Now())}
	}
	if !c.fleet {
		budget = 0 // one unit: its own schedule, as written
	}
	plan := railway.FairShare(budget, sched)
	for i, u := range units {
		iv := plan.Intervals[i]
		u.m.setInterval(iv.Seconds())
		if iv <= sched[i].Period {
			iv = 0
		}
		if u.stretchedInterval() == iv {
			continue
		}
		u.setStretched(iv)
		if t := u.currentTerm(); t != nil {
			c.restretch(t, u)
		}
	}
	if plan.Factor > 1 {
		c.log.Warn("the Railway budget cannot cover every unit's reconcile schedule: every interval is stretched alike",
			zap.Float64("factor", plan.Factor), zap.Int("units", len(units)), zap.Int("maxRequestsPerHour", budget),
			zap.Float64("needPerHour", plan.Need), zap.Float64("plannedPerHour", plan.Planned))
	}
}

// specsOn returns the specs using endpoint ep.
func specsOn(specs []*spec.Spec, ep string) []*spec.Spec {
	var out []*spec.Spec
	for _, sp := range specs {
		if sp.Railway.Endpoint == ep {
			out = append(out, sp)
		}
	}
	return out
}

// stretched returns c at the effective interval iv when the budget
// stretched it (iv > 0): an "@every" schedule at the longer period, and a
// cron expression, whose activations are fixed times, every iv instead.
func stretched(c spec.Cron, iv time.Duration) spec.Cron {
	if iv <= 0 {
		return c
	}
	return spec.Cron{Expr: "@every " + spec.FormatDuration(iv), Every: iv}
}

// specsInUse returns the valid specs in use.
func (c *Controller) specsInUse() []*spec.Spec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.specs
}
