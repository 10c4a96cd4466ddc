package report

import (
	"fmt"
	"strconv"
	"strings"
)

// fleetSeparator separates the sections of a fleet report: a rule on
// GitHub (after a blank line), a plain divider in Slack.
const fleetSeparator = "\n---\n\n"

// Markdown renders the fleet report for Slack and GitHub: the status word,
// "fleet of N units" and the verdict on the first line, the table of units
// (so that a message cut to Slack's limit still shows every unit), then
// each unit's report exactly as it renders alone, separated by rules.
func (f *FleetReport) Markdown() string {
	var b strings.Builder
	h := f.Headline()
	fmt.Fprintf(&b, "%s %s: %s\n\n", h.Status, h.Name, mdText(h.Verdict))
	if !f.GeneratedAt.IsZero() {
		fmt.Fprintf(&b, "Report of %s.\n\n", minute(f.GeneratedAt))
	}
	rows := [][]string{{"unit", "status", "phase", "since", "drift", "rollbacks", "verdict"}}
	for _, u := range f.Units {
		since := "-"
		if !u.PhaseSince.IsZero() {
			since = minute(u.PhaseSince)
		}
		rows = append(rows, []string{
			cell(mdText(u.Name)), string(u.Status), cell(string(u.Phase)), since,
			strconv.Itoa(u.Drift), strconv.Itoa(u.Rollbacks), cell(mdText(u.Verdict)),
		})
	}
	writeTable(&b, rows)
	for _, u := range f.Units {
		b.WriteString(fleetSeparator)
		b.WriteString(u.Report.Markdown())
	}
	return b.String()
}
