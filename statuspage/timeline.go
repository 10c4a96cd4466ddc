package statuspage

import (
	"slices"
	"strconv"
	"time"

	"github.com/smartlic/reconciler/state"
)

// Phase changes listed under the bar: the first few in view, the rest up
// to the bound folded.
const (
	shownChanges       = 5
	maxTimelineChanges = 30
)

// timelineModel is the phase bar of the last 24 h (or less, since the
// first phase known) and the recent changes.
type timelineModel struct {
	// Span is how much time the bar covers.
	Span     string
	Segments []segment
	// Start and End label the bar's ends.
	Start, End string
	// Changes are the most recent phase changes, newest first; Older
	// follow, folded.
	Changes, Older []changeModel
	// More counts the changes of the window not listed.
	More int
}

// segment is a stretch of one phase; Width is a percentage of the bar.
type segment struct {
	Phase, Class, Title, Width string
}

type changeModel struct {
	At     stamp
	Phase  string
	Class  string
	Reason string
}

// buildTimeline lays the phase changes of the last 24 h out on a bar,
// from the first phase known when that is more recent (a process that
// started an hour ago, in a phase entered then, shows that hour). The
// current phase (from the status document) closes it.
func buildTimeline(changes []PhaseChange, phase state.Phase, since, now time.Time) timelineModel {
	changes = withCurrent(changes, phase, since)
	start := now.Add(-PhaseWindow)
	if first := changes[0].At; first.After(start) {
		start = first
	}
	total := max(now.Sub(start), time.Second)
	m := timelineModel{Span: span(total), Start: start.UTC().Format("Jan 2 15:04:05") + " UTC", End: "now"}
	for i, c := range changes {
		from, to := c.At, now
		if i+1 < len(changes) {
			to = changes[i+1].At
		}
		if from.Before(start) {
			from = start
		}
		if !to.After(from) {
			continue
		}
		m.Segments = append(m.Segments, segment{Phase: string(c.Phase), Class: phaseClass(c.Phase),
			Title: string(c.Phase) + " from " + from.UTC().Format("15:04:05") + " for " + span(to.Sub(from)),
			Width: pct(float64(to.Sub(from)) / float64(total))})
	}
	m.Changes, m.Older, m.More = listChanges(changes, now)
	return m
}

// listChanges returns the changes newest first: shownChanges of them, then
// up to maxTimelineChanges in all, and how many more there are.
func listChanges(changes []PhaseChange, now time.Time) (shown, older []changeModel, more int) {
	for i, c := range slices.Backward(changes) {
		if len(changes)-1-i >= maxTimelineChanges {
			more++
			continue
		}
		m := changeModel{At: stampOf(c.At, now), Phase: string(c.Phase), Class: phaseClass(c.Phase), Reason: clean(c.Reason)}
		if len(shown) < shownChanges {
			shown = append(shown, m)
		} else {
			older = append(older, m)
		}
	}
	return shown, older, more
}

// withCurrent appends the current phase when the history has not seen it
// (a History that starts empty, or a change it missed).
func withCurrent(changes []PhaseChange, phase state.Phase, since time.Time) []PhaseChange {
	n := len(changes)
	if n > 0 && changes[n-1].Phase == phase {
		return changes
	}
	if n > 0 && since.Before(changes[n-1].At) {
		since = changes[n-1].At
	}
	return append(slices.Clip(changes), PhaseChange{At: since, Phase: phase})
}

func pct(f float64) string { return strconv.FormatFloat(clamp(f, 0, 1)*100, 'f', 3, 64) + "%" }
