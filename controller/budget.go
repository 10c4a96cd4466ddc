package controller

import (
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// budgetShare is the share of the Railway budget a fleet plans its
// reconciles in: the rest is for what cannot be planned (creations,
// deploys, rollbacks, retries) and the reserve the client keeps.
const budgetShare = 0.8

// stretchFactor returns by how much every unit's reconcile period must be
// stretched so that the planned passes fit in budgetShare of budget
// requests an hour: units observing one environment on one period fire
// together and share one request (a group), and probe rounds cost nothing.
// It is 1 when they fit or there is no budget. Fair: every group is
// stretched alike, so no unit starves.
func stretchFactor(budget int, periods map[groupKey]time.Duration) float64 {
	if budget <= 0 {
		return 1
	}
	var perHour float64
	for _, p := range periods {
		if p > 0 {
			perHour += float64(time.Hour) / float64(p)
		}
	}
	f := perHour / (budgetShare * float64(budget))
	return max(f, 1)
}

// groupKey identifies the units whose passes share one observation.
type groupKey struct {
	project, environment string
	period               time.Duration
}

// stretchBudget recomputes the fleet's stretch factor and, when it
// changed, reschedules every unit's reconcile job; each unit's effective
// interval is on /status and in reconciler_reconcile_interval_seconds.
func (c *Controller) stretchBudget() {
	units := c.unitList()
	groups := map[groupKey]time.Duration{}
	for _, u := range units {
		sp := u.Spec()
		p := period(sp.Schedule.Reconcile, c.opts.Now())
		groups[groupKey{sp.Railway.ProjectID, sp.Railway.Environment, p}] = p
	}
	f := 1.0
	if c.fleet {
		f = stretchFactor(budgetOf(c.specsInUse()), groups)
	}
	for _, u := range units {
		p := period(u.Spec().Schedule.Reconcile, c.opts.Now())
		u.m.setInterval((time.Duration(float64(p) * f)).Seconds())
		if u.stretchFactor() == f {
			continue
		}
		u.setStretch(f)
		if t := u.currentTerm(); t != nil {
			c.restretch(t, u)
		}
	}
	if f > 1 {
		c.log.Warn("the Railway budget cannot cover every unit's reconcile schedule: every interval is stretched alike",
			zap.Float64("factor", f), zap.Int("units", len(units)), zap.Int("maxRequestsPerHour", budgetOf(c.specsInUse())))
	}
}

// specsInUse returns the valid specs in use.
func (c *Controller) specsInUse() []*spec.Spec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.specs
}
