package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// fleetDir is a directory of two specs (units a and b), each on a project
// of its own in one simulator, with one redis-server bound to both addons.
type fleetDir struct {
	sim *railwaytest.Server
	dir string
	env map[string]string
}

func newFleetDir(t *testing.T) *fleetDir {
	t.Helper()
	sim := railwaytest.NewT(t, railwaytest.Options{DeployDuration: 200 * time.Millisecond, WorkflowDuration: 200 * time.Millisecond})
	rs := redistest.Start(t)
	sim.BindRedisTo(rs.Host(), rs.Port(), rs.Password())
	f := &fleetDir{sim: sim, dir: t.TempDir(), env: map[string]string{"RAILWAY_API_TOKEN": cliToken}}
	for _, name := range []string{"unit-a", "unit-b"} {
		sb := sim.SeedSandbox(cliToken, "backend")
		v := "PROJECT_" + strings.ToUpper(strings.TrimPrefix(name, "unit-"))
		f.env[v] = sb.ProjectID
		doc := testspec.Doc(testspec.Options{Name: name, Endpoint: sim.URL(), ProjectID: "${" + v + "}"})
		if err := os.WriteFile(filepath.Join(f.dir, name+".yaml"), []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sim.AddWorkspaceToken(cliToken) // one token for both projects
	return f
}

// plan, apply and status on a directory act on every unit; --name picks
// one; a fleet's plan in JSON is an array.
func TestFleetCommandsActOnEveryUnitOrTheNamedOne(t *testing.T) {
	f := newFleetDir(t)
	got := run(t, f.env, "plan", "-f", f.dir)
	if got.code != ExitDrift || !strings.Contains(got.stdout, "== unit-a ==") || !strings.Contains(got.stdout, "== unit-b ==") {
		t.Fatalf("plan on a directory: %+v", got)
	}
	got = run(t, f.env, "plan", "-f", f.dir, "--name", "unit-b", "--output", "json")
	var docs []map[string]any
	if err := json.Unmarshal([]byte(got.stdout), &docs); err != nil || len(docs) != 1 || docs[0]["name"] != "unit-b" {
		t.Fatalf("plan --name unit-b --output json: %v %+v", err, got)
	}
	if got := run(t, f.env, "plan", "-f", f.dir, "--name", "unit-c"); got.code != ExitInvalid || !strings.Contains(got.stderr, "no such unit") {
		t.Fatalf("plan --name unknown: %+v", got)
	}
	if got := run(t, f.env, "apply", "-f", f.dir, "--name", "unit-a", "--timeout", "30s"); got.code != ExitOK {
		t.Fatalf("apply unit a: %+v", got)
	}
	got = run(t, f.env, "status", "-f", f.dir, "--name", "unit-a")
	if got.code != ExitOK || !strings.Contains(got.stdout, "unit-a: Healthy") {
		t.Fatalf("status --name unit-a: %+v", got)
	}
}

// rollback in a fleet needs --name or --all: a mistake must not roll every
// Redis back.
func TestFleetRollbackNeedsANameOrAll(t *testing.T) {
	f := newFleetDir(t)
	got := run(t, f.env, "rollback", "-f", f.dir, "--reason", "test")
	if got.code != ExitInvalid || !strings.Contains(got.stderr, "--name NAME (a unit or a spec) or --all") {
		t.Fatalf("rollback without --name in a fleet: %+v", got)
	}
	if n := f.sim.MutationCount(); n != 0 {
		t.Fatalf("%d mutations after a refused rollback", n)
	}
}

// Two files with one name: exit 3 naming both files, before anything runs.
func TestFleetDuplicateNamesExit3NamingBothFiles(t *testing.T) {
	f := newFleetDir(t)
	b, err := os.ReadFile(filepath.Join(f.dir, "unit-a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "unit-a-copy.yaml"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"run", "-f", f.dir, "--listen", "127.0.0.1:0"}, {"plan", "-f", f.dir}, {"validate", "-f", f.dir}} {
		got := run(t, f.env, cmd...)
		if got.code != ExitInvalid || !strings.Contains(got.stderr, "unit-a.yaml") || !strings.Contains(got.stderr, "unit-a-copy.yaml") {
			t.Errorf("%s with a duplicate name: %+v", cmd[0], got)
		}
	}
	if n := f.sim.RequestCount(); n != 0 {
		t.Errorf("%d Railway requests before refusing the input", n)
	}
}

// validate takes a directory: a verdict per valid file, the problems of
// the others, exit 3 when any is invalid; --print prints each spec.
func TestFleetValidate(t *testing.T) {
	f := newFleetDir(t)
	got := run(t, f.env, "validate", "-f", f.dir)
	a, b := filepath.Join(f.dir, "unit-a.yaml"), filepath.Join(f.dir, "unit-b.yaml")
	if got.code != ExitOK || got.stdout != a+": ok\n"+b+": ok\n" {
		t.Fatalf("validate on a directory: %+v", got)
	}
	got = run(t, f.env, "validate", "-f", f.dir, "--print")
	if got.code != ExitOK || strings.Count(got.stdout, "\nname: unit-") != 2 || !strings.Contains(got.stdout, "\n---\n") {
		t.Fatalf("validate --print on a directory: %+v", got)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "unit-c.yaml"), []byte("version: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got = run(t, f.env, "validate", "-f", f.dir)
	c := filepath.Join(f.dir, "unit-c.yaml")
	if got.code != ExitInvalid || got.stdout != a+": ok\n"+b+": ok\n" || !strings.Contains(got.stderr, c+":1:10: version: unsupported version 2") {
		t.Fatalf("validate with an invalid file: %+v", got)
	}
}
