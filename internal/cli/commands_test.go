package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

const cliToken = "tok-cli-4f1e2d3c4b5a69788796a5b4"

// project is a simulated Railway project with a deployed backend, a real
// redis-server for the addon and a spec file pointing at both.
type project struct {
	sim       *railwaytest.Server
	env       map[string]string
	spec      string
	statePath string
	envID     string
	backendID string
}

func newProject(t *testing.T, extra string) *project {
	t.Helper()
	sim := railwaytest.NewT(t, railwaytest.Options{DeployDuration: 200 * time.Millisecond, WorkflowDuration: 200 * time.Millisecond})
	sb := sim.SeedSandbox(cliToken, "backend")
	pid, eid, backend := sb.ProjectID, sb.EnvironmentID, sb.ConsumerID
	rs := redistest.Start(t)
	sim.BindRedisTo(rs.Host(), rs.Port(), rs.Password())
	dir := t.TempDir()
	p := &project{sim: sim, statePath: filepath.Join(dir, "state", "state.json"), envID: eid, backendID: backend,
		env: map[string]string{"RAILWAY_PROJECT_ID": pid, "RAILWAY_API_TOKEN": cliToken}}
	body := testspec.Doc(testspec.Options{Endpoint: sim.URL(), ProjectID: "${RAILWAY_PROJECT_ID}", StatePath: p.statePath, Extra: extra})
	p.spec = filepath.Join(dir, "desired.yaml")
	if err := os.WriteFile(p.spec, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanOnAnEmptyProjectWritesNothing(t *testing.T) {
	p := newProject(t, "")
	got := run(t, p.env, "plan", "-f", p.spec)
	if got.code != ExitDrift {
		t.Fatalf("plan exit %d, want 2\n%s%s", got.code, got.stdout, got.stderr)
	}
	if !strings.Contains(got.stdout, "create addon Redis from template redis: not found in production") {
		t.Fatalf("plan output:\n%s", got.stdout)
	}
	if n := p.sim.MutationCount(); n != 0 {
		t.Fatalf("plan sent %d mutations", n)
	}
	if _, err := os.Stat(filepath.Dir(p.statePath)); !os.IsNotExist(err) {
		t.Fatalf("plan created the state directory: %v", err)
	}
	got = run(t, p.env, "plan", "-f", p.spec, "--output", "json")
	var doc planDoc
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil || doc.InSync || len(doc.Actions) == 0 || doc.Actions[0].Kind != reconcile.ActCreateAddon {
		t.Fatalf("plan json (%v):\n%s", err, got.stdout)
	}
	// The pass's probe round: no addon, so no Redis URL to probe yet.
	if pr := doc.Probe; pr == nil || pr.Verdict != "inconclusive" || pr.Healthy || len(pr.Checks) != 1 || pr.Checks[0].Step != "url" {
		t.Fatalf("plan json probe:\n%s", got.stdout)
	}
}

func TestApplyThenPlanIsInSync(t *testing.T) {
	p := newProject(t, "")
	got := run(t, p.env, "apply", "-f", p.spec, "--timeout", "30s")
	if got.code != ExitOK || !strings.Contains(got.stdout, "converged: phase Healthy") {
		t.Fatalf("apply exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	for _, want := range []string{"AddonCreating", "VariablesSet", "Deploying", "Deployed"} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("apply output lacks %s:\n%s", want, got.stdout)
		}
	}
	if got := run(t, p.env, "plan", "-f", p.spec); got.code != ExitOK || !strings.Contains(got.stdout, "no changes") {
		t.Fatalf("plan after apply: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	var plan planDoc
	pj := run(t, p.env, "plan", "-f", p.spec, "--output", "json")
	if err := json.Unmarshal([]byte(pj.stdout), &plan); err != nil || !plan.InSync || plan.Probe == nil ||
		!plan.Probe.Healthy || len(plan.Probe.Checks) == 0 || plan.Probe.Checks[0].Name != "redis" || !plan.Probe.Checks[0].OK {
		t.Fatalf("plan json after apply (%v):\n%s", err, pj.stdout)
	}
	st := run(t, p.env, "status", "-f", p.spec)
	if st.code != ExitOK || !strings.Contains(st.stdout, "smartlic-production: Healthy") || !strings.Contains(st.stdout, "AddonReady") {
		t.Fatalf("status:\n%s%s", st.stdout, st.stderr)
	}
	js := run(t, nil, "status", "--state", p.statePath, "--output", "json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil {
		t.Fatalf("status json: %v\n%s", err, js.stdout)
	}
	for _, k := range []string{"name", "phase", "since", "specValid", "conditions", "drift", "lastProbe", "events"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("status json lacks %q", k)
		}
	}
	for _, out := range []string{got.stdout, got.stderr, st.stdout, js.stdout} {
		if strings.Contains(out, cliToken) {
			t.Fatal("the token leaked into the output")
		}
	}
}

func TestRollbackAndRollforwardCommands(t *testing.T) {
	p := newProject(t, "")
	if got := run(t, p.env, "apply", "-f", p.spec, "--timeout", "30s"); got.code != ExitOK {
		t.Fatalf("apply: %d %s", got.code, got.stderr)
	}
	if got := run(t, p.env, "rollback", "-f", p.spec); got.code != ExitInvalid || !strings.Contains(got.stderr, "--reason") {
		t.Fatalf("rollback without a reason: %+v", got)
	}
	got := run(t, p.env, "rollback", "-f", p.spec, "--reason", "redis maintenance")
	if got.code != ExitOK || !strings.Contains(got.stdout, "phase Held") {
		t.Fatalf("rollback: %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if v := p.sim.Variables(p.envID, p.backendID)["REDIS_URL"]; v != "" {
		t.Fatalf("REDIS_URL = %q after rollback", v)
	}
	got = run(t, p.env, "rollforward", "-f", p.spec)
	if got.code != ExitOK {
		t.Fatalf("rollforward: %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if v := p.sim.Variables(p.envID, p.backendID)["REDIS_URL"]; v != "${{Redis.REDIS_URL}}" {
		t.Fatalf("REDIS_URL = %q after rollforward", v)
	}
	// Nothing rolled back any more: a no-op that says so, exit 0.
	got = run(t, p.env, "rollforward", "-f", p.spec)
	if got.code != ExitOK || got.stdout != "rollforward: not rolled back: nothing to roll forward (phase Provisioning); nothing done\n" &&
		got.stdout != "rollforward: not rolled back: nothing to roll forward (phase Healthy); nothing done\n" {
		t.Fatalf("second rollforward: %+v", got)
	}
	if f := p.sim.Forbidden(); len(f) > 0 {
		t.Fatalf("forbidden operations: %v", f)
	}
}

func TestCommandsNeedAToken(t *testing.T) {
	p := newProject(t, "")
	env := map[string]string{"RAILWAY_PROJECT_ID": p.env["RAILWAY_PROJECT_ID"]}
	got := run(t, env, "plan", "-f", p.spec)
	if got.code != ExitFailure || !strings.Contains(got.stderr, "RAILWAY_API_TOKEN") {
		t.Fatalf("plan without a token: %+v", got)
	}
	env["RAILWAY_API_TOKEN"] = "tok-rejected-000000000000000000"
	got = run(t, env, "apply", "-f", p.spec)
	if got.code != ExitFailure || !strings.Contains(got.stderr, "RAILWAY_API_TOKEN was rejected by Railway") || strings.Contains(got.stderr, "tok-rejected") {
		t.Fatalf("apply with a bad token: %+v", got)
	}
	if n := p.sim.MutationCount(); n != 0 {
		t.Fatalf("%d mutations with a bad token", n)
	}
}

func TestStatusWithoutState(t *testing.T) {
	got := run(t, nil, "status", "--state", filepath.Join(t.TempDir(), "none.json"))
	if got.code != ExitFailure || !strings.Contains(got.stderr, "no state") {
		t.Fatalf("%+v", got)
	}
}

func TestApplyWhileLockedNamesTheHolder(t *testing.T) {
	p := newProject(t, "")
	if got := run(t, p.env, "apply", "-f", p.spec, "--timeout", "30s"); got.code != ExitOK {
		t.Fatalf("apply: %+v", got)
	}
	holdLock(t, p.statePath)
	got := run(t, p.env, "apply", "-f", p.spec)
	if got.code != ExitFailure || !strings.Contains(got.stderr, "locked by pid") {
		t.Fatalf("apply while locked: %+v", got)
	}
}

// holdLock holds the state lock, as a running `reconciler run` would, until
// the test ends.
func holdLock(t *testing.T, path string) {
	t.Helper()
	l, err := state.SingleFile(path, state.FileOptions{Command: "reconciler run"}).TryAcquire(t.Context(), "smartlic-production")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release(context.Background()) })
}

func TestReportCommand(t *testing.T) {
	p := newProject(t, "")
	got := run(t, p.env, "report", "-f", p.spec)
	if got.code != ExitDrift || !strings.Contains(got.stdout, "DRIFT") {
		t.Fatalf("report on an empty project: %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if got := run(t, p.env, "apply", "-f", p.spec, "--timeout", "30s"); got.code != ExitOK {
		t.Fatalf("apply: %+v", got)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	got = run(t, p.env, "report", "-f", p.spec, "--format", "json", "--out", out)
	if got.code != ExitOK {
		t.Fatalf("report after apply: %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	b, err := os.ReadFile(out)
	var doc map[string]any
	if err != nil || json.Unmarshal(b, &doc) != nil || doc["clean"] != true || doc["version"] != float64(1) {
		t.Fatalf("report file (%v):\n%s", err, b)
	}
}
