package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/state"
)

func TestDemoMarkdownHasNoBudgetFigures(t *testing.T) {
	st := state.New("smartlic-demo", time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	st.Observed.Requests = 57
	r := report.Build(report.Input{State: st, Now: time.Date(2026, 11, 25, 9, 1, 0, 0, time.UTC)})
	remaining := 999972
	r.Railway.RateLimitRemaining, r.Railway.MaxRequestsPerHour = &remaining, budget
	if md := r.Markdown(); !strings.Contains(md, "headroom 999972") {
		t.Fatalf("the report itself lost its figures:\n%s", md)
	}
	md := demoMarkdown(r)
	if strings.Contains(md, "budget") || strings.Contains(md, "headroom") || strings.Contains(md, "999972") {
		t.Errorf("the demo shows the budget figures:\n%s", md)
	}
	if !strings.Contains(md, "\nRailway: 57 requests to the simulated Railway during the demo.\n") {
		t.Errorf("no plain Railway line:\n%s", md)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/reconciler-demo-123/desired.yaml": "/tmp/reconciler-demo-123/desired.yaml",
		"/tmp/my dir/desired.yaml":              "'/tmp/my dir/desired.yaml'",
		"/tmp/it's/x":                           `'/tmp/it'\''s/x'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHolderNamesTheDemo(t *testing.T) {
	if h := (&sandbox{opts: Options{Keep: true}}).holder(); h != "reconciler demo --keep" {
		t.Errorf("holder %q", h)
	}
	if h := (&sandbox{}).holder(); h != "reconciler demo" {
		t.Errorf("holder %q", h)
	}
}
