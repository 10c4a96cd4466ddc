package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// FleetVersion is the version of the fleet report's JSON shape
// (docs/report.md, "Fleet reports"); like Version, it changes only when a
// field is removed or changes meaning.
const FleetVersion = 1

// FleetKind is the "kind" of a fleet report's JSON document: a unit's
// report has no "kind", a fleet report always has this one.
const FleetKind = "fleet"

// FleetReport is one report on several units: a table of the units, then
// each unit's own report. Its JSON encoding is the documented shape of
// docs/report.md: every field always present, in this order.
type FleetReport struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	// GeneratedAt is the latest of the units' report times.
	GeneratedAt time.Time `json:"generatedAt"`
	// Status is the worst of the units': BLOCKED, DRIFT, WARN, then OK.
	Status Status `json:"status"`
	// Verdict is the fleet in one line, e.g. "1 DRIFT, 2 OK; 1 rollback in
	// the period" or "all in sync and healthy".
	Verdict string `json:"verdict"`
	// IsClean is Clean() in the JSON document.
	IsClean bool `json:"clean"`
	// Units are the units' rows, sorted by name.
	Units []FleetUnit `json:"units"`
}

// FleetUnit is one unit's row of a fleet report, and its report.
type FleetUnit struct {
	Name       string      `json:"name"`
	Status     Status      `json:"status"`
	Phase      state.Phase `json:"phase"`
	PhaseSince time.Time   `json:"phaseSince"`
	// Drift and Blocked count the report's drift and blocked items.
	Drift   int `json:"drift"`
	Blocked int `json:"blocked"`
	// Rollbacks counts the RolledBack events of the unit's period.
	Rollbacks int `json:"rollbacks"`
	// Verdict is the unit's verdict without the phase, which has its own
	// fields: "2 drift items; 1 rollback in the period".
	Verdict string `json:"verdict"`
	// Report is the unit's report, exactly as Build makes it (except that
	// it masks the secrets of every unit of the fleet).
	Report *Report `json:"report"`
}

// BuildFleet builds the report of several units, one Input each (as for
// Build, normally with the same Now). Each unit's report masks the secrets
// of every unit (their specs' webhook and Redis URLs, and every Input's
// Secrets), so that no section can show another unit's secret. It is pure.
// For one unit, deliver Build's report instead (BuildAll does).
func BuildFleet(units []Input) *FleetReport {
	secrets := fleetSecrets(units)
	sc := newScrubber(secrets...)
	f := &FleetReport{Version: FleetVersion, Kind: FleetKind, Units: make([]FleetUnit, 0, len(units))}
	for _, in := range units {
		in.Secrets = secrets
		r := Build(in)
		f.Units = append(f.Units, rowOf(r, sc))
		if r.GeneratedAt.After(f.GeneratedAt) {
			f.GeneratedAt = r.GeneratedAt
		}
	}
	slices.SortStableFunc(f.Units, func(a, b FleetUnit) int { return cmp.Compare(a.Name, b.Name) })
	f.IsClean = f.Clean()
	f.Status = fleetStatus(f.Units)
	f.Verdict = fleetVerdict(f)
	return f
}

// BuildAll builds the report of a schedule's units: Build's report for one
// unit (exactly as before fleets existed), BuildFleet's for any other
// number.
func BuildAll(units []Input) Document {
	if len(units) == 1 {
		return Build(units[0])
	}
	return BuildFleet(units)
}

// UnitReports returns the units' reports in d (d itself for a unit's
// report), for MarkDelivered on each unit's state once d is delivered.
func UnitReports(d Document) []*Report {
	switch d := d.(type) {
	case *Report:
		return []*Report{d}
	case *FleetReport:
		out := make([]*Report, 0, len(d.Units))
		for _, u := range d.Units {
			out = append(out, u.Report)
		}
		return out
	}
	return nil
}

// Report returns the report of the unit called name, or nil.
func (f *FleetReport) Report(name string) *Report {
	for _, u := range f.Units {
		if u.Name == name {
			return u.Report
		}
	}
	return nil
}

// Clean reports whether every unit's report is clean (no drift, nothing
// blocked).
func (f *FleetReport) Clean() bool {
	return !slices.ContainsFunc(f.Units, func(u FleetUnit) bool { return !u.Report.Clean() })
}

// Headline returns the fleet's status, "fleet of N units", its verdict
// and time.
func (f *FleetReport) Headline() Headline {
	return Headline{Status: f.Status, Name: "fleet of " + plural(len(f.Units), "unit"), Verdict: f.Verdict, GeneratedAt: f.GeneratedAt}
}

// Render renders the fleet report in format f.
func (f *FleetReport) Render(format Format) ([]byte, error) {
	switch format {
	case FormatMarkdown:
		return []byte(f.Markdown()), nil
	case FormatJSON:
		return f.JSON()
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownFormat, format)
}

// JSON renders the fleet report as indented JSON in the shape of
// docs/report.md, ending with a newline.
func (f *FleetReport) JSON() ([]byte, error) { return encodeJSON(f) }

// fleetSecrets is every secret of every unit: each spec's, and each
// Input's.
func fleetSecrets(units []Input) []spec.Secret {
	var out []spec.Secret
	for _, in := range units {
		out = append(out, SecretsOf(in.Spec, in.Secrets...)...)
	}
	return out
}

// rowOf is the row of a unit's report; its verdict is scrubbed like the
// report's.
func rowOf(r *Report, sc *scrubber) FleetUnit {
	rollbacks := 0
	for _, e := range r.Events {
		if e.Type == state.EventRolledBack {
			rollbacks++
		}
	}
	return FleetUnit{
		Name: r.Name, Status: r.Status, Phase: r.Phase, PhaseSince: r.PhaseSince,
		Drift: len(r.Drift), Blocked: len(r.Blocked), Rollbacks: rollbacks, Verdict: sc.String(verdict(r, false)), Report: r,
	}
}

// statusOrder is the precedence of statuses, worst first.
var statusOrder = []Status{StatusBlocked, StatusDrift, StatusWarn, StatusOK}

func fleetStatus(units []FleetUnit) Status {
	if len(units) == 0 {
		return StatusWarn
	}
	for _, s := range statusOrder {
		if slices.ContainsFunc(units, func(u FleetUnit) bool { return u.Status == s }) {
			return s
		}
	}
	return StatusOK
}

// fleetVerdict says the fleet in one line: how many units have each
// status, worst first ("1 BLOCKED, 2 OK"), or "all in sync and healthy",
// then the rollbacks, holds and roll forwards of every unit's period.
func fleetVerdict(f *FleetReport) string {
	if len(f.Units) == 0 {
		return "no units"
	}
	var b strings.Builder
	if f.Status == StatusOK {
		b.WriteString("all in sync and healthy")
	} else {
		var parts []string
		for _, s := range statusOrder {
			n := 0
			for _, u := range f.Units {
				if u.Status == s {
					n++
				}
			}
			if n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, s))
			}
		}
		b.WriteString(strings.Join(parts, ", "))
	}
	var events []Event
	for _, u := range f.Units {
		events = append(events, u.Report.Events...)
	}
	if s := activity(events); s != "" {
		b.WriteString("; " + s + " in the period")
	}
	return b.String()
}
