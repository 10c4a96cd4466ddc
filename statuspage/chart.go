package statuspage

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/smartlic/reconciler/probes"
)

// Chart geometry: the SVG's viewBox. Labels are HTML around the SVG, so
// they stay readable however the plot is scaled.
const (
	chartW = 600
	chartH = 150
	// chartPad keeps the line's stroke inside the box.
	chartPad = 3
	// maxChartPoints bounds the points drawn: more rounds are merged.
	maxChartPoints = 300
	// minChartSpan is the narrowest time axis, so that the first rounds
	// after a start do not stretch over the whole width.
	minChartSpan = 10 * time.Second
)

// chartModel is one inline SVG line chart.
type chartModel struct {
	ID, Title string
	W, H      int
	Empty     bool
	// Points is how many data points are drawn.
	Points int
	// Lines are polyline point lists ("x,y x,y …"), split where a round
	// had no value.
	Lines []string
	// Dots are isolated points, drawn as circles.
	Dots []dot
	// Bad are the x positions of unhealthy rounds.
	Bad                []string
	YTop, YMid         string
	XStart, XMid, XEnd string
	Latest             string
}

type dot struct{ X, Y string }

// sample is one point to plot; ok is false when the round had no value.
type sample struct {
	at  time.Time
	v   float64
	ok  bool
	bad bool
}

func latencyChart(rounds []Round, now time.Time) chartModel {
	ss := make([]sample, len(rounds))
	for i, r := range rounds {
		ss[i] = sample{at: r.At, v: float64(r.Latency) / float64(time.Millisecond), ok: r.Latency > 0, bad: r.Verdict == "unhealthy"}
	}
	c := plot(ss, now, niceCeil, func(v float64) string { return formatMs(v) })
	c.ID, c.Title = "chart-latency", "PING latency"
	return c
}

func memoryChart(rounds []Round, now time.Time) chartModel {
	ss := make([]sample, len(rounds))
	for i, r := range rounds {
		ss[i] = sample{at: r.At, v: float64(r.UsedMemory), ok: r.UsedMemory > 0, bad: r.Verdict == "unhealthy"}
	}
	c := plot(ss, now, niceBytes, func(v float64) string { return probes.FormatBytes(int64(v)) })
	c.ID, c.Title = "chart-memory", "Used memory"
	return c
}

// plot lays samples out on the chart: time on x from the first sample (or
// an hour ago) to now, the value on y from 0 to a round top.
func plot(ss []sample, now time.Time, top func(float64) float64, format func(float64) string) chartModel {
	c := chartModel{W: chartW, H: chartH}
	hi, last, found := 0.0, 0.0, false
	for _, s := range ss {
		if s.ok {
			hi, last, found = max(hi, s.v), s.v, true
		}
	}
	if !found {
		c.Empty = true
		return c
	}
	t0 := now.Add(-RoundWindow)
	if ss[0].at.After(t0) {
		t0 = ss[0].at
	}
	if now.Sub(t0) < minChartSpan {
		t0 = now.Add(-minChartSpan)
	}
	ss = downsample(ss, t0, now)
	yTop := top(hi)
	c.YTop, c.YMid, c.Latest = format(yTop), format(yTop/2), format(last)
	c.XStart, c.XMid, c.XEnd = clockLabels(t0, now)
	c.draw(ss, t0, now, yTop)
	return c
}

// draw fills Lines, Dots and Bad.
func (c *chartModel) draw(ss []sample, t0, t1 time.Time, yTop float64) {
	span := float64(t1.Sub(t0))
	xOf := func(t time.Time) float64 { return clamp(float64(t.Sub(t0))/span, 0, 1) * chartW }
	yOf := func(v float64) float64 { return chartPad + (chartH-2*chartPad)*(1-clamp(v/yTop, 0, 1)) }
	var run []string
	flush := func() {
		if len(run) == 1 {
			x, y, _ := strings.Cut(run[0], ",")
			c.Dots = append(c.Dots, dot{X: x, Y: y})
		} else if len(run) > 1 {
			c.Lines = append(c.Lines, strings.Join(run, " "))
		}
		run = run[:0]
	}
	for _, s := range ss {
		if s.bad {
			c.Bad = append(c.Bad, num(xOf(s.at)))
		}
		if !s.ok {
			flush()
			continue
		}
		run = append(run, num(xOf(s.at))+","+num(yOf(s.v)))
		c.Points++
	}
	flush()
}

// downsample merges samples into at most maxChartPoints slots of equal
// time, keeping each slot's highest value (a spike stays visible).
func downsample(ss []sample, t0, t1 time.Time) []sample {
	if len(ss) <= maxChartPoints {
		return ss
	}
	slot := t1.Sub(t0) / maxChartPoints
	out := make([]sample, 0, maxChartPoints)
	cur := -1
	for _, s := range ss {
		i := int(s.at.Sub(t0) / slot)
		if i != cur || len(out) == 0 {
			out = append(out, sample{at: s.at})
			cur = i
		}
		m := &out[len(out)-1]
		m.bad = m.bad || s.bad
		if s.ok {
			m.v, m.ok = max(m.v, s.v), true
		}
	}
	return out
}

// clockLabels returns the x axis labels: start, middle, end, as UTC clock
// times (with seconds when the span is short).
func clockLabels(t0, t1 time.Time) (string, string, string) {
	layout := "15:04"
	if t1.Sub(t0) <= 10*time.Minute {
		layout = "15:04:05"
	}
	mid := t0.Add(t1.Sub(t0) / 2)
	return t0.UTC().Format(layout), mid.UTC().Format(layout), t1.UTC().Format(layout) + " UTC"
}

// niceSteps are the round mantissas of an axis top.
var niceSteps = []float64{1, 1.5, 2, 3, 4, 5, 6, 8, 10}

// niceCeil rounds v up to a round number (niceSteps) times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range niceSteps {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// niceBytes rounds v up to a round number of the IEC unit that suits it.
func niceBytes(v float64) float64 {
	unit := 1.0
	for v >= 1024*unit {
		unit *= 1024
	}
	return niceCeil(v/unit) * unit
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
