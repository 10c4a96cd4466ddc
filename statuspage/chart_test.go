package statuspage

import (
	"strings"
	"testing"
	"time"
)

func TestChartWithoutDataIsEmpty(t *testing.T) {
	rounds := []Round{{At: t0, Verdict: "unhealthy"}} // a round without PING or memory
	for _, c := range []chartModel{latencyChart(nil, t0), latencyChart(rounds, t0), memoryChart(rounds, t0)} {
		if !c.Empty || len(c.Lines) != 0 || c.Points != 0 {
			t.Errorf("%s: %+v, want an empty chart", c.ID, c)
		}
	}
}

func TestChartSplitsLinesAtGapsAndDrawsLonePoints(t *testing.T) {
	ms := time.Millisecond
	rounds := []Round{
		{At: t0.Add(-50 * time.Second), Verdict: "healthy", Latency: ms},
		{At: t0.Add(-40 * time.Second), Verdict: "healthy", Latency: 2 * ms},
		{At: t0.Add(-30 * time.Second), Verdict: "unhealthy"},
		{At: t0.Add(-20 * time.Second), Verdict: "healthy", Latency: 4 * ms},
		{At: t0.Add(-10 * time.Second), Verdict: "unhealthy"},
	}
	c := latencyChart(rounds, t0)
	if c.Empty || c.Points != 3 {
		t.Fatalf("points = %d (empty %v), want 3", c.Points, c.Empty)
	}
	if len(c.Lines) != 1 || strings.Count(c.Lines[0], ",") != 2 {
		t.Errorf("lines = %q, want one line of the first two rounds", c.Lines)
	}
	if len(c.Dots) != 1 {
		t.Errorf("dots = %+v, want the lone third value", c.Dots)
	}
	if len(c.Bad) != 2 {
		t.Errorf("unhealthy marks = %v, want 2", c.Bad)
	}
	if c.YTop != "4.0 ms" || c.YMid != "2.0 ms" || c.Latest != "4.0 ms" {
		t.Errorf("y labels %q %q, latest %q; want 4.0 ms, 2.0 ms, 4.0 ms", c.YTop, c.YMid, c.Latest)
	}
	// The axis starts at the first round.
	if c.XStart != "09:59:10" || c.XEnd != "10:00:00 UTC" {
		t.Errorf("x labels %q … %q, want 09:59:10 … 10:00:00 UTC", c.XStart, c.XEnd)
	}
	if x, _, _ := strings.Cut(c.Lines[0], ","); x != "0.0" {
		t.Errorf("first x = %s, want 0.0", x)
	}
	// A single round right after a start does not fill the width.
	c = latencyChart([]Round{{At: t0.Add(-2 * time.Second), Verdict: "healthy", Latency: ms}}, t0)
	if len(c.Dots) != 1 || c.Dots[0].X != "480.0" {
		t.Errorf("lone round drawn at %+v, want x 480 (2 s before the end of a 10 s axis)", c.Dots)
	}
}

func TestChartOfAFullHourIsBounded(t *testing.T) {
	h := &History{}
	fillHistory(h, t0)
	rounds := h.Rounds(t0)
	for _, c := range []chartModel{latencyChart(rounds, t0), memoryChart(rounds, t0)} {
		if c.Points == 0 || c.Points > maxChartPoints {
			t.Errorf("%s: %d points for %d rounds, want 1..%d", c.ID, c.Points, len(rounds), maxChartPoints)
		}
		if c.XStart != "09:00" || c.XEnd != "10:00 UTC" {
			t.Errorf("%s: x labels %q … %q, want the hour", c.ID, c.XStart, c.XEnd)
		}
	}
	if m := memoryChart(rounds, t0); m.YTop != "6MiB" {
		t.Errorf("memory top = %q, want 6MiB for a peak of about 5.5MiB", m.YTop)
	}
}

func TestNiceCeil(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{
		{0, 1}, {0.43, 0.5}, {1, 1}, {1.2, 1.5}, {2.5, 3}, {7, 8}, {9, 10}, {120, 150}, {5.5, 6},
	} {
		if got := niceCeil(tt.in); got < tt.want*0.999 || got > tt.want*1.001 {
			t.Errorf("niceCeil(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := niceBytes(5.5 * (1 << 20)); got != 6*(1<<20) {
		t.Errorf("niceBytes(5.5MiB) = %v, want 6MiB", got)
	}
}
