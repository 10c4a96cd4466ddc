package railway

import (
	"math"
	"time"
)

// PlanShare is the share of the usable budget FairShare plans reconciles
// into. The rest is left for what a pass does besides observing (creating
// the addon, upserts, deploys, rollbacks, reading a new addon's URL) and for
// retries.
const PlanShare = 0.8

// ScheduledUnit is one unit's reconcile schedule, for FairShare.
type ScheduledUnit struct {
	// ProjectID and EnvironmentID are the unit's group: the units of one
	// project and environment fired together share one observation request
	// (Batcher).
	ProjectID, EnvironmentID string
	// Period is the interval between the unit's reconciles (for a cron
	// schedule, its average interval). Zero or less: the unit is not
	// reconciled on a schedule and costs nothing.
	Period time.Duration
}

// BudgetPlan is how a fleet's reconciles fit one budget.
type BudgetPlan struct {
	// Budget is the budget planned for, in requests an hour; 0 means none.
	Budget int
	// Usable is Budget less the share the client keeps in reserve for
	// rollbacks and deploys (ReserveFraction, rounded up; at least 1 left).
	Usable int
	// Target is what reconciles may use: PlanShare of Usable.
	Target float64
	// Need is what the schedules cost at their own periods, in requests an
	// hour: one request per firing of each group.
	Need float64
	// Factor (at least 1) is how much every interval is stretched, the
	// same for every unit, so that none starves.
	Factor float64
	// Planned is what the schedules cost at the effective intervals.
	Planned float64
	// Intervals holds each unit's effective reconcile interval, in the
	// order of the units given: its Period times Factor, rounded up to the
	// second when stretched (Period itself when not).
	Intervals []time.Duration
}

// FairShare fits the reconciles of the units sharing one token into its
// budget (maxRequestsPerHour, or 0 for none). A group of units in one
// project and environment costs one request per firing, thanks to batching;
// its units with different periods are counted once per distinct period (an
// upper bound: their firings sometimes coincide). When the cost exceeds
// PlanShare of the budget less the reserve, every interval is stretched by
// the same factor until it fits. Probe rounds cost no Railway request and
// are never part of the plan.
func FairShare(budget int, units []ScheduledUnit) BudgetPlan {
	p := BudgetPlan{Budget: max(budget, 0), Factor: 1, Intervals: make([]time.Duration, len(units))}
	for i, u := range units {
		p.Intervals[i] = max(u.Period, 0)
	}
	p.Need = groupCost(units, p.Intervals)
	if p.Budget == 0 {
		p.Planned = p.Need
		return p
	}
	p.Usable = max(1, p.Budget-reserveFor(p.Budget))
	p.Target = PlanShare * float64(p.Usable)
	if p.Need > p.Target {
		p.Factor = p.Need / p.Target
		for i, u := range units {
			if u.Period > 0 {
				p.Intervals[i] = stretch(u.Period, p.Factor)
			}
		}
	}
	p.Planned = groupCost(units, p.Intervals)
	return p
}

// groupCost is the requests an hour of the units firing at intervals: one
// per firing of each distinct interval of each group.
func groupCost(units []ScheduledUnit, intervals []time.Duration) float64 {
	type firing struct {
		project, env string
		every        time.Duration
	}
	seen := map[firing]bool{}
	cost := 0.0
	for i, u := range units {
		f := firing{u.ProjectID, u.EnvironmentID, intervals[i]}
		if f.every <= 0 || seen[f] {
			continue
		}
		seen[f] = true
		cost += float64(time.Hour) / float64(f.every)
	}
	return cost
}

// stretch multiplies d by factor, rounded up to the second (a hair of
// floating-point error is not a second more).
func stretch(d time.Duration, factor float64) time.Duration {
	secs := math.Ceil(d.Seconds()*factor - 1e-6)
	return max(d, time.Duration(secs)*time.Second)
}
