package statuspage

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Source is what the page reads: the units and, for each, a View. The
// controller implements it from memory; calls must be cheap and make no
// Railway request.
type Source interface {
	// Units returns the names of the units, in display order.
	Units() []string
	// Unit returns the view of one unit; false when there is no such unit.
	Unit(name string) (View, bool)
}

// View is everything the page shows about one unit.
type View struct {
	// Status is the unit's status document (CONTRACT section 7), as served
	// on /status.
	Status reconcile.Status
	// Health is the health machine's state (rollback bookkeeping).
	Health state.Health
	// Rollback is the spec's rollback policy.
	Rollback spec.Rollback
	// ProbeEvery is the probe interval (0 when the schedule is a cron
	// expression), used to estimate when a roll forward can happen.
	ProbeEvery time.Duration
	// LastReportAt is when the last drift report was delivered (from the
	// state; zero when none), for when the History has none.
	LastReportAt time.Time
	// History holds the recent rounds and phase changes; nil for none.
	History *History
}

// UnitSummary is one line of the fleet listing.
type UnitSummary struct {
	Name  string
	Phase state.Phase
	Since time.Time
	// Ready is the status of the Ready condition ("True", "False",
	// "Unknown").
	Ready string
}

// Summarize returns the listing line of a unit.
func Summarize(name string, v View) UnitSummary {
	ready := state.UnknownStatus
	if c, ok := condition(v.Status.Conditions, state.CondReady); ok {
		ready = c.Status
	}
	return UnitSummary{Name: name, Phase: v.Status.Phase, Since: v.Status.Since, Ready: ready}
}

func condition(cs []state.Condition, typ string) (state.Condition, bool) {
	i := slices.IndexFunc(cs, func(c state.Condition) bool { return c.Type == typ })
	if i < 0 {
		return state.Condition{}, false
	}
	return cs[i], true
}

// clean is applied to every free-text field shown: it masks URL userinfo,
// queries and fragments (spec.RedactURLsIn) and trims the text.
func clean(s string) string { return strings.TrimSpace(spec.RedactURLsIn(s)) }

// cleanAll cleans each string.
func cleanAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = clean(s)
	}
	return out
}

// stamp is a time as the page shows it: absolute (UTC) and relative to now.
type stamp struct {
	Zero bool
	// ISO is RFC 3339, for <time datetime>.
	ISO string
	// Abs is "2006-01-02 15:04:05 UTC".
	Abs string
	// Rel is "3m ago" or "in 2m".
	Rel string
}

func stampOf(t, now time.Time) stamp {
	if t.IsZero() {
		return stamp{Zero: true}
	}
	t = t.UTC()
	return stamp{ISO: t.Format(time.RFC3339), Abs: t.Format("2006-01-02 15:04:05 UTC"), Rel: relative(t, now)}
}

// relative says how far t is from now, coarsely: "just now", "42s ago",
// "3m ago", "2h 5m ago", "3d ago", or "in …" for the future.
func relative(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	if d < time.Second {
		return "just now"
	}
	s := span(d)
	if future {
		return "in " + s
	}
	return s + " ago"
}

// span renders a duration with two units at most: "42s", "3m 5s", "2h 5m",
// "3d 4h".
func span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return d.String()
	case d < time.Hour:
		return two(int(d/time.Minute), "m", int(d%time.Minute/time.Second), "s")
	case d < 48*time.Hour:
		return two(int(d/time.Hour), "h", int(d%time.Hour/time.Minute), "m")
	}
	return two(int(d/(24*time.Hour)), "d", int(d%(24*time.Hour)/time.Hour), "h")
}

func two(a int, au string, b int, bu string) string {
	s := strconv.Itoa(a) + au
	if b > 0 {
		s += " " + strconv.Itoa(b) + bu
	}
	return s
}
