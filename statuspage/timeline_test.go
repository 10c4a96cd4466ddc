package statuspage

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state"
)

func widthSum(t *testing.T, m timelineModel) float64 {
	t.Helper()
	sum := 0.0
	for _, s := range m.Segments {
		f, err := strconv.ParseFloat(strings.TrimSuffix(s.Width, "%"), 64)
		if err != nil {
			t.Fatalf("segment width %q: %v", s.Width, err)
		}
		sum += f
	}
	return sum
}

func TestTimelineCoversTheDay(t *testing.T) {
	h := &History{}
	fillHistory(h, t0)
	m := buildTimeline(h.Phases(t0), state.Recovering, t0.Add(-10*time.Minute), t0)
	if sum := widthSum(t, m); sum < 99.9 || sum > 100.1 {
		t.Errorf("segments cover %.3f%% of the bar, want 100%%", sum)
	}
	if len(m.Changes) != shownChanges || len(m.Older) != maxTimelineChanges-shownChanges || m.More == 0 {
		t.Errorf("listed %d + %d folded, %d more; want %d + %d and the rest counted",
			len(m.Changes), len(m.Older), m.More, shownChanges, maxTimelineChanges-shownChanges)
	}
	if m.Span != "24h" {
		t.Errorf("span = %q, want 24h", m.Span)
	}
}

func TestTimelineWithoutHistory(t *testing.T) {
	// A fresh process: only the status document's phase and since; the
	// bar covers the time known.
	m := buildTimeline(nil, state.Healthy, t0.Add(-6*time.Hour), t0)
	if len(m.Segments) != 1 || m.Segments[0].Phase != "Healthy" || m.Segments[0].Width != "100.000%" {
		t.Fatalf("segments = %+v, want Healthy across the bar", m.Segments)
	}
	if m.Span != "6h" || m.Start != "Nov 25 04:00:00 UTC" {
		t.Errorf("bar covers %q from %q, want 6h from Nov 25 04:00:00 UTC", m.Span, m.Start)
	}
	// A phase the history missed closes the bar.
	changes := []PhaseChange{{At: t0.Add(-2 * time.Hour), Phase: state.Healthy}}
	m = buildTimeline(changes, state.Degraded, t0.Add(-30*time.Minute), t0)
	if len(m.Segments) != 2 || m.Segments[1].Phase != "Degraded" || m.Segments[1].Width != "25.000%" {
		t.Errorf("segments = %+v, want Healthy then the current phase for its last quarter", m.Segments)
	}
	if sum := widthSum(t, m); sum < 99.9 || sum > 100.1 {
		t.Errorf("segments cover %.3f%%", sum)
	}
}
