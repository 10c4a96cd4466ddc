package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	sp := fixtureSpec("https://hooks.example.com" + webhookPath)
	for _, tc := range []struct {
		name string
		st   *state.State
	}{
		{"drift", driftState()},
		{"clean", cleanState()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(Input{Spec: sp, State: tc.st, Now: reportTime, Secrets: []spec.Secret{spec.NewSecret(railwayToken)}})
			golden(t, tc.name+".md", []byte(r.Markdown()))
			js, err := r.JSON()
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".json", js)
		})
	}
}

func TestBuildDriftReport(t *testing.T) {
	st := driftState()
	before := st.Clone()
	r := Build(Input{Spec: fixtureSpec("https://hooks.example.com" + webhookPath), State: st, Now: reportTime})

	if r.Clean() || r.IsClean || r.Status != StatusDrift {
		t.Errorf("Clean() = %v, clean = %v, status %s; want not clean, DRIFT", r.Clean(), r.IsClean, r.Status)
	}
	wantVerdict := "2 drift items, phase Healthy since 2026-11-25 03:17 UTC; 1 rollback, 1 roll forward in the period"
	if r.Verdict != wantVerdict {
		t.Errorf("verdict %q, want %q", r.Verdict, wantVerdict)
	}
	if len(r.Events) != 10 || r.Events[0].Type != state.EventDegraded {
		t.Errorf("events: %d, first %+v; want the 10 since the last report, Degraded first", len(r.Events), r.Events[0])
	}
	if r.Period.From != lastReport || r.Period.To != reportTime {
		t.Errorf("period %+v", r.Period)
	}
	if r.Railway.Requests != 1440 || r.Railway.RateLimitRemaining == nil || *r.Railway.RateLimitRemaining != 955 {
		t.Errorf("railway %+v", r.Railway)
	}
	h := r.Health
	if h.Rounds != 1000 || h.UnhealthyRounds != 10 || h.InconclusiveRounds != 1 || *h.PingLatencyMs.Max != 12.3 {
		t.Errorf("health %+v", h)
	}
	if got, _ := json.Marshal(st); !bytes.Equal(got, mustJSON(t, before)) {
		t.Error("Build modified the state")
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name       string
		before     func(*state.State)
		want       string
		wantStatus Status
		wantClean  bool
	}{
		{"clean", nil, "in sync and healthy", StatusOK, true},
		{"rolled back, no drift", func(st *state.State) {
			st.Phase, st.Since = state.RolledBack, at(3, 10, 10)
			addEvents(st, []state.Event{{At: at(3, 10, 10), Type: state.EventRolledBack, Message: "roll back"}})
		}, "no drift, phase RolledBack since 2026-11-25 03:10 UTC; 1 rollback in the period", StatusWarn, true},
		{"blocked", func(st *state.State) {
			st.Blocked = []string{"addon Redis not found in production and addon.create is false"}
			st.Drift = []state.DriftItem{{Kind: reconcile.DriftAddon, Service: "Redis", Desired: "present", Actual: "missing"}}
			st.Phase, st.Since = state.Provisioning, at(1, 0, 0)
		}, "1 drift item, 1 blocked, phase Provisioning since 2026-11-25 01:00 UTC", StatusBlocked, false},
		{"railway read failed", func(st *state.State) {
			st.Phase, st.Since = state.Unknown, at(8, 0, 0)
			st.Observed.OK, st.Observed.Error = false, "railway: HTTP 503"
		}, "no drift, phase Unknown since 2026-11-25 08:00 UTC (last Railway read failed)", StatusWarn, true},
		{"flapping and held", func(st *state.State) {
			st.Phase, st.Since = state.Held, at(4, 0, 0)
			addEvents(st, []state.Event{
				{At: at(1, 0, 0), Type: state.EventRolledBack}, {At: at(1, 10, 0), Type: state.EventRolledForward},
				{At: at(2, 0, 0), Type: state.EventRolledBack}, {At: at(2, 10, 0), Type: state.EventRolledForward},
				{At: at(4, 0, 0), Type: state.EventHeld},
			})
		}, "no drift, phase Held since 2026-11-25 04:00 UTC; 2 rollbacks, 1 hold, 2 roll forwards in the period", StatusWarn, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := cleanState()
			if tc.before != nil {
				tc.before(st)
			}
			r := Build(Input{State: st, Now: reportTime})
			if r.Verdict != tc.want || r.Status != tc.wantStatus || r.Clean() != tc.wantClean {
				t.Errorf("got %s %q clean=%v, want %s %q clean=%v", r.Status, r.Verdict, r.Clean(), tc.wantStatus, tc.want, tc.wantClean)
			}
		})
	}
}

func TestBuildEdges(t *testing.T) {
	t.Run("first report starts at the summary", func(t *testing.T) {
		st := cleanState()
		st.Report = state.ReportBook{}
		r := Build(Input{State: st, Now: reportTime})
		if r.Period.From != st.Summary.Since {
			t.Errorf("period from %v, want the summary's start %v", r.Period.From, st.Summary.Since)
		}
		if r.Railway.Requests != 2640 {
			t.Errorf("requests %d, want the whole counter", r.Railway.Requests)
		}
	})
	t.Run("unknown numbers are null", func(t *testing.T) {
		st := state.New("x", lastReport)
		js, err := Build(Input{State: st, Now: reportTime}).JSON()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"rateLimitRemaining": null`, `"p50": null`, `"peakUsedMemoryBytes": null`, `"lastObservation": null`, `"drift": []`, `"events": []`} {
			if !bytes.Contains(js, []byte(want)) {
				t.Errorf("JSON lacks %s:\n%s", want, js)
			}
		}
		if md := Build(Input{State: st, Now: reportTime}).Markdown(); !strings.Contains(md, "rate-limit headroom unknown") {
			t.Errorf("markdown does not say the headroom is unknown:\n%s", md)
		}
	})
	t.Run("counter restarted", func(t *testing.T) {
		st := cleanState()
		st.Observed.Requests = 30
		if got := Build(Input{State: st, Now: reportTime}).Railway.Requests; got != 30 {
			t.Errorf("requests %d, want 30", got)
		}
	})
	t.Run("events dropped from the bounded history", func(t *testing.T) {
		st := cleanState()
		for i := range state.MaxEvents + 5 {
			st.AddEvent(state.Event{At: lastReport.Add(time.Duration(i+1) * time.Minute), Type: state.EventDeployed})
		}
		r := Build(Input{State: st, Now: reportTime})
		if !r.EventsTruncated || len(r.Events) != state.MaxEvents {
			t.Errorf("truncated %v with %d events", r.EventsTruncated, len(r.Events))
		}
	})
}

func TestMarkDelivered(t *testing.T) {
	st := driftState()
	r := Build(Input{State: st, Now: reportTime})
	MarkDelivered(st, r)
	if st.Report.LastAt != reportTime || st.Report.RequestsAtLast != 2640 || st.Summary.Rounds != 0 || st.Summary.Since != reportTime {
		t.Fatalf("after MarkDelivered: report %+v, summary since %v rounds %d", st.Report, st.Summary.Since, st.Summary.Rounds)
	}
	next := reportTime.Add(24 * time.Hour)
	st.AddEvent(state.Event{At: reportTime.Add(time.Hour), Type: state.EventVariablesCorrected, Message: "set worker REDIS_URL=\"${{Redis.REDIS_URL}}\" (variables changed)"})
	st.Summary.Observe("healthy", time.Millisecond, 1<<20)
	st.Observed.Requests += 100
	r2 := Build(Input{State: st, Now: next})
	if r2.Period.From != reportTime || len(r2.Events) != 1 || r2.Railway.Requests != 100 || r2.Health.Rounds != 1 {
		t.Errorf("next report: period %+v, %d events, %d requests, %d rounds", r2.Period, len(r2.Events), r2.Railway.Requests, r2.Health.Rounds)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatMarkdown, "markdown": FormatMarkdown, "json": FormatJSON} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("ParseFormat(yaml) error %v, want ErrUnknownFormat", err)
	}
	if _, err := Build(Input{State: cleanState(), Now: reportTime}).Render("html"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Render(html) error %v, want ErrUnknownFormat", err)
	}
}

// TestJSONShapeMatchesDocs checks that the JSON document has exactly the
// keys of the example in docs/report.md, recursively, and that the field
// table there describes every one of them.
func TestJSONShapeMatchesDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	example := docExample(t, string(doc))
	js, err := Build(Input{State: driftState(), Now: reportTime, Spec: fixtureSpec("https://h.example.com" + webhookPath)}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	got, want := keyPaths(t, js), keyPaths(t, []byte(example))
	if !slices.Equal(got, want) {
		t.Errorf("JSON keys differ from docs/report.md's example:\n got  %v\n want %v", got, want)
	}
	for _, p := range got {
		if !strings.Contains(string(doc), "| `"+p+"` |") {
			t.Errorf("docs/report.md's field table has no row for `%s`", p)
		}
	}
}

var exampleBlock = regexp.MustCompile("(?s)<!-- json-example -->\\s*```json\n(.*?)```")

func docExample(t *testing.T, doc string) string {
	t.Helper()
	m := exampleBlock.FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("docs/report.md has no ```json block after <!-- json-example -->")
	}
	return m[1]
}

// keyPaths lists every key of a JSON document as a dotted path, "[]"
// marking array elements, sorted.
func keyPaths(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatalf("decoding JSON: %v\n%s", err, doc)
	}
	set := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, sub := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				set[p] = true
				walk(p, sub)
			}
		case []any:
			for _, sub := range x {
				walk(prefix+"[]", sub)
			}
		}
	}
	walk("", v)
	return slices.Sorted(maps.Keys(set))
}
