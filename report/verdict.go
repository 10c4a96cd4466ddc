package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/smartlic/reconciler/state"
)

// Time layouts of the human-readable text (markdown, verdicts, messages).
// The JSON document uses RFC 3339.
const (
	minuteLayout = "2006-01-02 15:04 UTC"
	secondLayout = "2006-01-02 15:04:05Z"
)

func minute(t time.Time) string { return t.UTC().Format(minuteLayout) }
func second(t time.Time) string { return t.UTC().Format(secondLayout) }

func statusOf(r *Report) Status {
	switch {
	case len(r.Blocked) > 0:
		return StatusBlocked
	case len(r.Drift) > 0:
		return StatusDrift
	case r.Phase != state.Healthy:
		return StatusWarn
	}
	return StatusOK
}

// verdictOf says the report in one line: "in sync and healthy", or the
// drift and the phase, then what happened in the period, e.g.
// "2 drift items, phase RolledBack since 2026-11-25 03:10 UTC; 1 rollback
// in the period".
func verdictOf(r *Report) string { return verdict(r, true) }

// verdict is verdictOf, with or without the phase (a fleet's table shows
// it in its own columns).
func verdict(r *Report, withPhase bool) string {
	var b strings.Builder
	if r.Clean() && r.Phase == state.Healthy {
		b.WriteString("in sync and healthy")
	} else {
		if len(r.Drift) == 0 {
			b.WriteString("no drift")
		} else {
			b.WriteString(plural(len(r.Drift), "drift item"))
		}
		if n := len(r.Blocked); n > 0 {
			fmt.Fprintf(&b, ", %d blocked", n)
		}
		if withPhase {
			fmt.Fprintf(&b, ", phase %s since %s", r.Phase, minute(r.PhaseSince))
		}
	}
	if r.Railway.LastObservation != nil && !r.Railway.ObservationOK {
		b.WriteString(" (last Railway read failed)")
	}
	if s := activity(r.Events); s != "" {
		b.WriteString("; " + s + " in the period")
	}
	return b.String()
}

// activity counts the rollbacks, holds and roll forwards among events.
func activity(events []Event) string {
	var back, held, forward int
	for _, e := range events {
		switch e.Type {
		case state.EventRolledBack:
			back++
		case state.EventHeld:
			held++
		case state.EventRolledForward:
			forward++
		}
	}
	var parts []string
	if back > 0 {
		parts = append(parts, plural(back, "rollback"))
	}
	if held > 0 {
		parts = append(parts, plural(held, "hold"))
	}
	if forward > 0 {
		parts = append(parts, plural(forward, "roll forward"))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
