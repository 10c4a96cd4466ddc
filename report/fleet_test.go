package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// unitSpec is fixtureSpec for the unit called name, with its own webhook
// and Redis URL.
func unitSpec(name, webhookURL, redisURL string) *spec.Spec {
	sp := fixtureSpec(webhookURL)
	sp.Name = name
	sp.Health.Redis.URL = spec.NewSecret(redisURL)
	return sp
}

// rolledBackState is a unit rolled back this morning and still rolled back.
func rolledBackState(name string) *state.State {
	st := cleanState()
	st.Name = name
	st.Phase, st.Since = state.RolledBack, at(6, 0, 10)
	addEvents(st, []state.Event{
		{At: at(6, 0, 0), Type: state.EventDegraded, Message: "redis unhealthy: ping: i/o timeout"},
		{At: at(6, 0, 10), Type: state.EventRolledBack, Message: "roll back: 3 unhealthy rounds (ping: i/o timeout)"},
	})
	st.Conds = []state.Condition{{Type: state.CondReady, Status: state.False, Reason: "RolledBack", Message: "consumers use their in-memory cache", LastTransitionTime: at(6, 0, 10)}}
	return st
}

// fleetInputs are three units of a fleet, given out of order: a generated
// unit with drift, a clean one, and one rolled back.
func fleetInputs() []Input {
	token := []spec.Secret{spec.NewSecret(railwayToken)}
	drift, clean := driftState(), cleanState()
	drift.Name, clean.Name = "smartlic/pr-12", "smartlic/production"
	hook := "https://hooks.example.com" + webhookPath
	return []Input{
		{Spec: unitSpec("smartlic/production", hook, rawRedisURL()), State: clean, Now: reportTime, Secrets: token},
		{Spec: unitSpec("smartlic/pr-12", hook, rawRedisURL()), State: drift, Now: reportTime, Secrets: token},
		{Spec: unitSpec("billing", hook, rawRedisURL()), State: rolledBackState("billing"), Now: reportTime, Secrets: token},
	}
}

func TestBuildFleet(t *testing.T) {
	in := fleetInputs()
	f := BuildFleet(in)
	var rows []string
	for _, u := range f.Units {
		rows = append(rows, u.Name+" "+string(u.Status)+" "+string(u.Phase))
	}
	want := []string{"billing WARN RolledBack", "smartlic/pr-12 DRIFT Healthy", "smartlic/production OK Healthy"}
	if !slices.Equal(rows, want) {
		t.Errorf("rows %v, want %v (sorted by name)", rows, want)
	}
	if f.Status != StatusDrift || f.Clean() || f.IsClean || f.Version != FleetVersion || f.Kind != "fleet" || f.GeneratedAt != reportTime {
		t.Errorf("fleet %s clean=%v version %d kind %q at %v", f.Status, f.Clean(), f.Version, f.Kind, f.GeneratedAt)
	}
	if wantV := "1 DRIFT, 1 WARN, 1 OK; 2 rollbacks, 1 roll forward in the period"; f.Verdict != wantV {
		t.Errorf("verdict %q, want %q", f.Verdict, wantV)
	}
	pr := f.Units[1]
	if pr.Drift != 2 || pr.Blocked != 0 || pr.Rollbacks != 1 || pr.PhaseSince != at(3, 17, 10) ||
		pr.Verdict != "2 drift items; 1 rollback, 1 roll forward in the period" {
		t.Errorf("row %+v", pr)
	}
	// Each section is the unit's own report, as Build makes it.
	alone := Build(in[1])
	if got := f.Report("smartlic/pr-12"); got == nil || got.Markdown() != alone.Markdown() {
		t.Error("the pr-12 section differs from its own report")
	}
	if f.Report("nope") != nil {
		t.Error("Report(unknown) is not nil")
	}
	if h := f.Headline(); h.Name != "fleet of 3 units" || h.Status != StatusDrift || h.Verdict != f.Verdict {
		t.Errorf("headline %+v", h)
	}
	var names []string
	for _, r := range UnitReports(f) {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"billing", "smartlic/pr-12", "smartlic/production"}) {
		t.Errorf("UnitReports %v", names)
	}
}

func TestFleetStatusAndVerdict(t *testing.T) {
	clean := func(name string) Input {
		st := cleanState()
		st.Name = name
		return Input{State: st, Now: reportTime}
	}
	blocked := clean("blocked")
	blocked.State.Blocked = []string{"addon Redis not found and addon.create is false"}
	for _, tc := range []struct {
		name       string
		in         []Input
		wantStatus Status
		want       string
		wantClean  bool
	}{
		{"all clean", []Input{clean("a"), clean("b")}, StatusOK, "all in sync and healthy", true},
		{"blocked first", []Input{clean("a"), blocked, {State: driftState(), Now: reportTime}}, StatusBlocked,
			"1 BLOCKED, 1 DRIFT, 1 OK; 1 rollback, 1 roll forward in the period", false},
		{"no units", nil, StatusWarn, "no units", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := BuildFleet(tc.in)
			if f.Status != tc.wantStatus || f.Verdict != tc.want || f.Clean() != tc.wantClean {
				t.Errorf("got %s %q clean=%v, want %s %q clean=%v", f.Status, f.Verdict, f.Clean(), tc.wantStatus, tc.want, tc.wantClean)
			}
			for _, format := range []Format{FormatMarkdown, FormatJSON} {
				if out, err := f.Render(format); err != nil || len(out) == 0 {
					t.Errorf("Render(%s): %v", format, err)
				}
			}
		})
	}
	if _, err := BuildFleet(nil).Render("html"); err == nil {
		t.Error("Render(html) succeeded")
	}
}

func TestFleetGolden(t *testing.T) {
	f := BuildFleet(fleetInputs())
	golden(t, "fleet.md", []byte(f.Markdown()))
	js, err := f.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "fleet.json", js)
}

// TestBuildAllOneUnitIsTheSingleReport: with one unit, the report is the
// single-unit report, byte for byte.
func TestBuildAllOneUnitIsTheSingleReport(t *testing.T) {
	in := Input{Spec: fixtureSpec("https://hooks.example.com" + webhookPath), State: driftState(), Now: reportTime,
		Secrets: []spec.Secret{spec.NewSecret(railwayToken)}}
	d := BuildAll([]Input{in})
	r, ok := d.(*Report)
	if !ok {
		t.Fatalf("BuildAll of one unit is a %T, want *Report", d)
	}
	md, _ := r.Render(FormatMarkdown)
	js, _ := r.Render(FormatJSON)
	golden(t, "drift.md", md)
	golden(t, "drift.json", js)
	if rs := UnitReports(d); len(rs) != 1 || rs[0] != r {
		t.Errorf("UnitReports = %v", rs)
	}
	if _, ok := BuildAll(fleetInputs()[:2]).(*FleetReport); !ok {
		t.Error("BuildAll of two units is not a fleet report")
	}
	if UnitReports(nil) != nil {
		t.Error("UnitReports(nil) is not nil")
	}
}

// TestFleetJSONShapeMatchesDocs checks the fleet example of docs/report.md
// against a real fleet report: the same keys, recursively (a unit's report
// is the single-unit shape, shortened in the example), and a row in the
// fleet's field table for each key.
func TestFleetJSONShapeMatchesDocs(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "docs", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	m := regexp.MustCompile("(?s)<!-- fleet-json-example -->\\s*```json\n(.*?)```").FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/report.md has no ```json block after <!-- fleet-json-example -->")
	}
	js, err := BuildFleet(fleetInputs()).JSON()
	if err != nil {
		t.Fatal(err)
	}
	const sub = "units[].report."
	notSub := func(p string) bool { return strings.HasPrefix(p, sub) }
	got := slices.DeleteFunc(keyPaths(t, js), notSub)
	want := slices.DeleteFunc(keyPaths(t, []byte(m[1])), notSub)
	if !slices.Equal(got, want) {
		t.Errorf("fleet JSON keys differ from docs/report.md's example:\n got  %v\n want %v", got, want)
	}
	// A unit's report has exactly the keys of a single-unit report.
	single, _ := Build(fleetInputs()[1]).JSON()
	var units []string
	for _, p := range keyPaths(t, js) {
		if rest, ok := strings.CutPrefix(p, sub); ok {
			units = append(units, rest)
		}
	}
	if s := keyPaths(t, single); !slices.Equal(units, s) {
		t.Errorf("units[].report keys %v, want the single report's %v", units, s)
	}
	section := doc[strings.Index(doc, "## Fleet reports"):]
	if i := strings.Index(section[3:], "\n## "); i >= 0 {
		section = section[:i+3]
	}
	for _, p := range got {
		if !strings.Contains(section, "| `"+p+"` |") {
			t.Errorf("the fleet field table of docs/report.md has no row for `%s`", p)
		}
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(m[1]), &v); err != nil || v["kind"] != "fleet" || v["version"] != float64(FleetVersion) {
		t.Errorf("the example's kind and version: %v, %v", v["kind"], v["version"])
	}
}

func TestFleetMarkdownLayout(t *testing.T) {
	md := BuildFleet(fleetInputs()).Markdown()
	first, _, _ := strings.Cut(md, "\n")
	if first != "DRIFT fleet of 3 units: 1 DRIFT, 1 WARN, 1 OK; 2 rollbacks, 1 roll forward in the period" {
		t.Errorf("first line %q", first)
	}
	sections := strings.Split(md, fleetSeparator)
	if len(sections) != 4 {
		t.Fatalf("%d sections, want the table and 3 units:\n%s", len(sections), md)
	}
	for i, name := range []string{"billing", "smartlic/pr-12", "smartlic/production"} {
		if !strings.Contains(sections[0], "| "+name+" ") {
			t.Errorf("the table has no row for %s", name)
		}
		if !strings.Contains(sections[i+1], " "+name+": ") || !strings.HasPrefix(sections[i+1], string(BuildFleet(fleetInputs()).Units[i].Status)) {
			t.Errorf("section %d does not open with %s's report:\n%s", i+1, name, sections[i+1])
		}
	}
	if !bytes.Contains([]byte(sections[0]), []byte("\n\n| unit ")) {
		t.Error("the table does not follow a blank line")
	}
}
