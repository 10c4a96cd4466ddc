package report

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smartlic/reconciler/spec"
)

// Markdown renders the report for Slack and GitHub: the status word and the
// verdict on the first line, then the drift table, blocked items, health,
// events, Railway usage and conditions. It uses only what both render (or
// leave readable): plain lines, "- " lists, `code` and a padded pipe table.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s\n\n", r.Status, r.Name, mdText(r.Verdict))
	fmt.Fprintf(&b, "Report of %s covering %s since %s.\n\n",
		minute(r.GeneratedAt), span(r.Period.To.Sub(r.Period.From)), minute(r.Period.From))
	r.mdDrift(&b)
	r.mdBlocked(&b)
	r.mdHealth(&b)
	r.mdEvents(&b)
	r.mdRailway(&b)
	r.mdConditions(&b)
	return b.String()
}

func (r *Report) mdDrift(b *strings.Builder) {
	if len(r.Drift) == 0 {
		b.WriteString("Drift: none.\n\n")
		return
	}
	fmt.Fprintf(b, "Drift (%d):\n\n", len(r.Drift))
	rows := [][]string{{"kind", "service", "name", "desired", "actual", "message"}}
	for _, d := range r.Drift {
		rows = append(rows, []string{
			cell(d.Kind), cell(d.Service), cell(d.Name),
			cell(codeSpan(d.Desired)), cell(codeSpan(d.Actual)), cell(mdText(d.Message)),
		})
	}
	writeTable(b, rows)
	b.WriteString("\n")
}

func (r *Report) mdBlocked(b *strings.Builder) {
	if len(r.Blocked) == 0 {
		return
	}
	fmt.Fprintf(b, "Blocked (%d), needs a person:\n\n", len(r.Blocked))
	for _, s := range r.Blocked {
		fmt.Fprintf(b, "- %s\n", mdText(s))
	}
	b.WriteString("\n")
}

func (r *Report) mdHealth(b *strings.Builder) {
	h := r.Health
	if h.Rounds == 0 {
		b.WriteString("Health: no probe rounds in the period.\n\n")
		return
	}
	fmt.Fprintf(b, "Health: %s, %d unhealthy, %d inconclusive", plural(h.Rounds, "probe round"), h.UnhealthyRounds, h.InconclusiveRounds)
	if l := h.PingLatencyMs; l.Max != nil {
		fmt.Fprintf(b, "; PING p50 %s ms, p95 %s ms, max %s ms", num(l.P50), num(l.P95), num(l.Max))
	}
	if p := h.PeakUsedMemoryBytes; p != nil {
		fmt.Fprintf(b, "; peak used memory %s", bytesText(*p))
	}
	b.WriteString(".\n\n")
}

func (r *Report) mdEvents(b *strings.Builder) {
	if len(r.Events) == 0 {
		b.WriteString("Events: none in the period.\n\n")
		return
	}
	fmt.Fprintf(b, "Events (%d):\n\n", len(r.Events))
	if r.EventsTruncated {
		b.WriteString("- (older events of the period were dropped from the state's bounded history)\n")
	}
	for _, e := range r.Events {
		fmt.Fprintf(b, "- %s %s: %s\n", second(e.At), e.Type, mdText(e.Message))
	}
	b.WriteString("\n")
}

func (r *Report) mdRailway(b *strings.Builder) {
	rw := r.Railway
	fmt.Fprintf(b, "Railway: %s in the period", plural(int(rw.Requests), "request"))
	if rw.MaxRequestsPerHour > 0 {
		fmt.Fprintf(b, " (budget %d/hour)", rw.MaxRequestsPerHour)
	}
	if rw.RateLimitRemaining != nil {
		fmt.Fprintf(b, "; rate-limit headroom %d", *rw.RateLimitRemaining)
	} else {
		b.WriteString("; rate-limit headroom unknown")
	}
	if rw.LastObservation != nil && !rw.ObservationOK {
		fmt.Fprintf(b, "; last read failed at %s: %s", second(*rw.LastObservation), mdText(rw.ObservationError))
	}
	b.WriteString(".\n")
}

func (r *Report) mdConditions(b *strings.Builder) {
	if len(r.Conditions) == 0 {
		return
	}
	parts := make([]string, 0, len(r.Conditions))
	for _, c := range r.Conditions {
		p := c.Type + "=" + c.Status
		if c.Reason != "" {
			p += " (" + mdText(c.Reason) + ")"
		}
		parts = append(parts, p)
	}
	fmt.Fprintf(b, "\nConditions: %s.\n", strings.Join(parts, ", "))
}

// writeTable writes a pipe table padded to its column widths, so that it
// reads as a table even where markdown tables are not rendered (Slack).
func writeTable(b *strings.Builder, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c), 3)
		}
	}
	line := func(row []string) {
		b.WriteString("|")
		for i, c := range row {
			fmt.Fprintf(b, " %s%s |", c, strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)))
		}
		b.WriteString("\n")
	}
	line(rows[0])
	sep := make([]string, len(widths))
	for i, w := range widths {
		sep[i] = strings.Repeat("-", w)
	}
	line(sep)
	for _, row := range rows[1:] {
		line(row)
	}
}

// cell makes s safe inside a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// codeSpan shows a value as code; "" is shown as `""`.
func codeSpan(v string) string {
	switch {
	case v == "":
		return "`\"\"`"
	case strings.Contains(v, "`"):
		return "`` " + v + " ``"
	}
	return "`" + v + "`"
}

// mdText makes prose safe for one markdown line: whitespace runs (newlines
// included) become one space, and a word holding a masked secret ("***",
// which markdown would read as emphasis) is shown as code.
func mdText(s string) string {
	words := strings.Fields(s)
	if !strings.Contains(s, "`") {
		for i, w := range words {
			if strings.Contains(w, spec.Masked) {
				words[i] = "`" + w + "`"
			}
		}
	}
	return strings.Join(words, " ")
}

// num shows a latency in milliseconds with two decimals.
func num(v *float64) string { return fmt.Sprintf("%.2f", *v) }

// bytesText shows n in binary units with one decimal, e.g. "1.5 MiB".
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffixes := float64(n)/unit, []string{"KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= unit && i < len(suffixes)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, suffixes[i])
}

// span shows a period's length to the minute: "24h", "1h30m", "5m".
func span(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case d < time.Minute:
		return "under a minute"
	case h == 0:
		return fmt.Sprintf("%dm", m)
	case m == 0:
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%dm", h, m)
}
