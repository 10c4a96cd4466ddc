package controller

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/smartlic/reconciler/spec"
)

// The monitoring files shipped with the repository, relative to this package.
const (
	alertsFile    = "../deploy/prometheus/alerts.yaml"
	dashboardFile = "../deploy/grafana/reconciler.json"
	runbookFile   = "../docs/ops/redis-railway.md"
	runbookURL    = "https://github.com/smartlic/reconciler/blob/main/docs/ops/redis-railway.md#"
)

// requiredAlerts are the alerts issue 15 asks for.
var requiredAlerts = []string{
	"ReconcilerRolledBack", "ReconcilerHeld", "ReconcilerNotReady", "RedisProbeLatencyHigh",
	"RailwayBudgetLow", "ReconcilerDown", "ReconcilerNoLeader",
}

// newTestController builds a controller, and so its metrics registry,
// exactly as `run` does, without starting it.
func newTestController(t *testing.T) *Controller {
	t.Helper()
	sp := &spec.Spec{Name: "smartlic-test", Railway: spec.Railway{MaxRequestsPerHour: 120},
		Health: spec.Health{Endpoints: []spec.Endpoint{{Name: "backend"}}}}
	c, err := New(Options{Spec: sp, SpecPath: "desired.yaml", Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	c.m.units.forUnit(sp.Name, sp.Name).initChecks(sp) // a unit's series appear when it is added
	return c
}

type alertRules struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestAlertRulesUseRegisteredMetrics(t *testing.T) {
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var rules alertRules
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	families := registryNames(t, newTestController(t).m.reg)
	anchors := runbookAnchors(t)
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			for _, err := range checkQuery(r.Expr, families) {
				t.Errorf("alert %s: %v", r.Alert, err)
			}
			checkAlertMetadata(t, r.Alert, r.Labels, r.Annotations, anchors)
		}
	}
	for _, want := range requiredAlerts {
		if !slices.Contains(alerts, want) {
			t.Errorf("%s: no alert %s", alertsFile, want)
		}
	}
}

// checkAlertMetadata: a severity, a summary, a description, and a
// runbook_url whose anchor is a heading of the runbook.
func checkAlertMetadata(t *testing.T, alert string, labels, annotations map[string]string, anchors []string) {
	t.Helper()
	if s := labels["severity"]; s != "warning" && s != "critical" {
		t.Errorf("alert %s: severity %q, want warning or critical", alert, s)
	}
	for _, a := range []string{"summary", "description", "runbook_url"} {
		if strings.TrimSpace(annotations[a]) == "" {
			t.Errorf("alert %s: no %s", alert, a)
		}
	}
	anchor, ok := strings.CutPrefix(annotations["runbook_url"], runbookURL)
	switch {
	case !ok:
		t.Errorf("alert %s: runbook_url %q does not point into %s", alert, annotations["runbook_url"], runbookURL)
	case !slices.Contains(anchors, anchor):
		t.Errorf("alert %s: runbook_url anchor #%s is no heading of %s", alert, anchor, runbookFile)
	case anchor != strings.ToLower(alert):
		t.Errorf("alert %s: runbook_url anchor #%s, want the alert's own section #%s", alert, anchor, strings.ToLower(alert))
	}
}

// runbookAnchors are the anchors GitHub gives the runbook's headings.
func runbookAnchors(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(runbookFile)
	if err != nil {
		t.Fatal(err)
	}
	var anchors []string
	fenced := false
	for line := range strings.Lines(string(raw)) {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		if title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && !fenced && strings.HasPrefix(line, "#") {
			anchors = append(anchors, githubAnchor(strings.TrimSpace(title)))
		}
	}
	return anchors
}

var notInAnchor = regexp.MustCompile(`[^\p{L}\p{N}_ -]`)

// githubAnchor is GitHub's anchor for a heading: lower case, punctuation
// dropped, spaces as hyphens.
func githubAnchor(title string) string {
	return strings.ReplaceAll(notInAnchor.ReplaceAllString(strings.ToLower(title), ""), " ", "-")
}

func TestDashboardUsesRegisteredMetrics(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	families := registryNames(t, newTestController(t).m.reg)
	exprs := collectStrings(dash, "expr")
	if len(exprs) < 10 {
		t.Fatalf("%s: only %d queries found", dashboardFile, len(exprs))
	}
	for _, e := range exprs {
		for _, err := range checkQuery(e, families) {
			t.Errorf("dashboard query %q: %v", e, err)
		}
	}
	checkNameVariable(t, dash, families)
	// Every panel filters on the variable, so the dashboard follows it.
	for _, e := range exprs {
		if !strings.Contains(e, `name=~"$name"`) {
			t.Errorf("dashboard query %q does not filter on $name", e)
		}
	}
}

var labelValues = regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)

// checkNameVariable: the template variable name lists the label name of a
// registered metric.
func checkNameVariable(t *testing.T, dash map[string]any, families map[string]dto.MetricType) {
	t.Helper()
	templating, _ := dash["templating"].(map[string]any)
	list, _ := templating["list"].([]any)
	for _, v := range list {
		v, _ := v.(map[string]any)
		if v["name"] != "name" {
			continue
		}
		q, _ := v["definition"].(string)
		m := labelValues.FindStringSubmatch(q)
		if m == nil || m[2] != "name" {
			t.Fatalf("variable name: query %q, want label_values(<metric>, name)", q)
		}
		for _, err := range checkQuery(m[1], families) {
			t.Errorf("variable name: %v", err)
		}
		if queries := collectStrings(v, "query"); !slices.Contains(queries, q) {
			t.Errorf("variable name: definition %q differs from its query %q", q, queries)
		}
		return
	}
	t.Error("the dashboard has no template variable name")
}

// collectStrings returns every string value stored under key, at any depth.
func collectStrings(v any, key string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == key {
				out = append(out, s)
				continue
			}
			out = append(out, collectStrings(x, key)...)
		}
	case []any:
		for _, x := range v {
			out = append(out, collectStrings(x, key)...)
		}
	}
	return out
}

// value is the value of the gauge or counter name with label name=spec
// among fams, and whether there is one.
func value(fams []*dto.MetricFamily, name, spec string) (float64, bool) {
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == "name" && l.GetValue() == spec }) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue(), true
			}
			return m.GetGauge().GetValue(), m.GetGauge() != nil
		}
	}
	return 0, false
}

func TestLeaderMetrics(t *testing.T) {
	c := newTestController(t)
	um := c.m.units.forUnit("smartlic-test", "smartlic-test") // the same series as newTestController's
	check := func(step string, leader, transitions float64) {
		t.Helper()
		fams, err := c.m.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := value(fams, "reconciler_leader", "smartlic-test"); !ok || v != leader {
			t.Errorf("%s: reconciler_leader = %v (present %v), want %v", step, v, ok, leader)
		}
		if v, ok := value(fams, "reconciler_leader_transitions_total", "smartlic-test"); !ok || v != transitions {
			t.Errorf("%s: reconciler_leader_transitions_total = %v (present %v), want %v", step, v, ok, transitions)
		}
	}
	check("first scrape (standby until the lock is held)", 0, 0)
	um.setLeader(true)
	check("leading", 1, 1)
	um.setLeader(true)
	check("still leading", 1, 1)
	um.setLeader(false)
	check("lease lost", 0, 2)
	um.setLeader(false)
	check("still not leading", 0, 2)
	um.setLeader(true)
	check("lease regained", 1, 3)
}

func TestRailwayBudgetMetric(t *testing.T) {
	fams, err := newTestController(t).m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	v, ok := value(fams, "reconciler_railway_max_requests_per_hour", "smartlic-test")
	if !ok || v != 120 {
		t.Errorf("reconciler_railway_max_requests_per_hour = %v (present %v), want 120 (railway.maxRequestsPerHour)", v, ok)
	}
}
