package cli

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/reconcile"
)

func TestPlanTextShowsTheDriftOfTheJSON(t *testing.T) {
	p := newProject(t, "")
	text := run(t, p.env, "plan", "-f", p.spec)
	js := run(t, p.env, "plan", "-f", p.spec, "--output", "json")
	var doc planDoc
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil || len(doc.Drift) == 0 {
		t.Fatalf("plan json (%v): no drift on an empty project:\n%s", err, js.stdout)
	}
	for _, d := range doc.Drift {
		line := "drift: " + driftLine(d) + "\n"
		if !strings.Contains(text.stdout, line) {
			t.Errorf("text plan lacks %q:\n%s", line, text.stdout)
		}
	}
	if text.code != ExitDrift || strings.Contains(text.stdout, "in sync") {
		t.Errorf("text plan: exit %d\n%s", text.code, text.stdout)
	}
}

func TestDriftLine(t *testing.T) {
	for _, tt := range []struct {
		d    reconcile.DriftItem
		want string
	}{
		{reconcile.DriftItem{Kind: "variable", Service: "backend", Name: "REDIS_URL", Desired: "${{Redis.REDIS_URL}}", Actual: ""},
			`variable backend REDIS_URL: is "", want "${{Redis.REDIS_URL}}"`},
		{reconcile.DriftItem{Kind: "deploy", Service: "backend", Desired: "SUCCESS", Actual: "CRASHED", Message: "backend deployment d-1 is CRASHED"},
			`deploy backend: is "CRASHED", want "SUCCESS"; backend deployment d-1 is CRASHED`},
		{reconcile.DriftItem{Kind: "log", Service: "backend", Message: "not logged"}, "log backend: not logged"},
		{reconcile.DriftItem{Kind: "addon"}, "addon"},
	} {
		if got := driftLine(tt.d); got != tt.want {
			t.Errorf("driftLine(%+v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestApplyDryRunExitsLikePlan(t *testing.T) {
	p := newProject(t, "")
	got := run(t, p.env, "apply", "-f", p.spec, "--dry-run")
	if got.code != ExitDrift || !strings.Contains(got.stdout, "dry run: nothing was applied") || !strings.Contains(got.stdout, "create addon Redis") {
		t.Fatalf("apply --dry-run with changes pending: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if n := p.sim.MutationCount(); n != 0 {
		t.Fatalf("apply --dry-run sent %d mutations", n)
	}
	if got := run(t, p.env, "apply", "-f", p.spec, "--timeout", "30s"); got.code != ExitOK {
		t.Fatalf("apply: %+v", got)
	}
	if got := run(t, p.env, "apply", "-f", p.spec, "--dry-run"); got.code != ExitOK {
		t.Fatalf("apply --dry-run in sync: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
}

// TestOneShotTimeout: against an endpoint that accepts connections and never
// answers, plan, report and apply give up after --timeout with exit 1 and
// say so.
func TestOneShotTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // held open, never answered
		}
	}()
	spec := writeSpec(t, strings.Replace(validSpec, "railway:\n", "railway:\n  endpoint: http://"+ln.Addr().String()+"/graphql/v2\n", 1))
	env := map[string]string{"RAILWAY_PROJECT_ID": "p", "RAILWAY_API_TOKEN": cliToken}
	for _, cmd := range []string{"plan", "report", "apply"} {
		start := time.Now()
		got := run(t, env, cmd, "-f", spec, "--timeout", "1s")
		took := time.Since(start)
		if got.code != ExitFailure || !strings.Contains(got.stderr, "gave up after 1s (--timeout)") {
			t.Errorf("%s: %+v", cmd, got)
		}
		if took > 20*time.Second { // generous: the bound is what matters, not speed
			t.Errorf("%s took %s with --timeout 1s", cmd, took)
		}
	}
	for _, cmd := range []string{"plan", "report"} {
		help := run(t, nil, cmd, "--help")
		if !strings.Contains(help.stdout, "--timeout duration") || !strings.Contains(help.stdout, "(default 30s)") {
			t.Errorf("%s --help does not document --timeout 30s:\n%s", cmd, help.stdout)
		}
	}
}

func TestStatusRefusesAForeignState(t *testing.T) {
	p := newProject(t, "")
	if got := run(t, p.env, "apply", "-f", p.spec, "--timeout", "30s"); got.code != ExitOK {
		t.Fatalf("apply: %+v", got)
	}
	raw, err := os.ReadFile(p.statePath)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(field, value string) string {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		doc[field] = value
		b, _ := json.Marshal(doc)
		path := filepath.Join(t.TempDir(), "state.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	got := run(t, nil, "status", "--state", edit("phase", "Exploded"))
	if got.code != ExitFailure || !strings.Contains(got.stderr, `phase "Exploded": not a reconciler state`) || got.stdout != "" {
		t.Errorf("unknown phase: %+v", got)
	}
	other := edit("name", "someone-else")
	got = run(t, p.env, "status", "-f", p.spec, "--state", other)
	if got.code != ExitFailure || !strings.Contains(got.stderr, `belongs to "someone-else", not to this spec's "smartlic-production"`) {
		t.Errorf("another spec's state: %+v", got)
	}
	// Without a spec to compare with, --state alone shows it.
	if got := run(t, nil, "status", "--state", other); got.code != ExitOK || !strings.Contains(got.stdout, "someone-else: Healthy") {
		t.Errorf("--state alone: %+v", got)
	}
}
