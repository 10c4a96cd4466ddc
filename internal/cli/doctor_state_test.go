package cli

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smartlic/reconciler/internal/pgserver/pgtest"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/state/pgstore"
)

// TestDoctorUnwritableStatePath puts state.path under a regular file: no
// directory can be created there, whatever the user (root included).
func TestDoctorUnwritableStatePath(t *testing.T) {
	s := newDoctorScene(t)
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(file, "state.json"), filepath.Join(file, "deeper", "state.json")} {
		s.statePath = p
		code, checks, got := s.doctor(t, s.spec(t, "", ""))
		c := checks["state"]
		if code != ExitFailure || c.OK || !strings.Contains(c.Detail, file+" is a file, not a directory") || !strings.Contains(c.Fix, "state.path") {
			t.Errorf("%s: exit %d\n%s", p, code, got.stdout)
		}
	}
	// A directory as state.path.
	s.statePath = t.TempDir()
	_, checks, _ := s.doctor(t, s.spec(t, "", ""))
	if c := checks["state"]; c.OK || !strings.Contains(c.Detail, "is a directory, not a file") {
		t.Errorf("directory: %+v", c)
	}
}

func TestDoctorStateLockedAndCorrupt(t *testing.T) {
	s := newDoctorScene(t)
	path := s.spec(t, "", "")
	holdLock(t, s.statePath)
	_, checks, _ := s.doctor(t, path)
	if c := checks["state"]; !c.OK || !strings.Contains(c.Detail, "locked by pid") || !strings.Contains(c.Detail, "(reconciler run)") {
		t.Errorf("locked: %+v", c)
	}
	if err := os.WriteFile(s.statePath, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, checks, _ := s.doctor(t, path)
	if c := checks["state"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, "corrupt") || !strings.Contains(c.Fix, "apply moves") {
		t.Errorf("corrupt: %+v", c)
	}
	if b, err := os.ReadFile(s.statePath); err != nil || string(b) != "{not json" {
		t.Errorf("doctor touched the state file: %q, %v", b, err)
	}
}

func TestDoctorPostgresBackend(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := pgtest.Database(t, srv)
	s := newDoctorScene(t)
	s.env["DATABASE_URL"] = dsn
	body := testspec.Doc(testspec.Options{Endpoint: s.sim.URL(), ProjectID: "${RAILWAY_PROJECT_ID}"}) +
		"state:\n  backend: postgres\n  postgres:\n    url: ${DATABASE_URL}\n"
	path := writeSpec(t, body)
	_, checks, _ := s.doctor(t, path)
	if c := checks["state"]; !c.OK || !strings.Contains(c.Detail, "answers; no reconciler tables yet") || !strings.Contains(c.Detail, "no replica holds a lease") {
		t.Errorf("fresh database: %+v", c)
	}
	store, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Command: "reconciler run"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if _, err := store.TryAcquire(t.Context(), "smartlic-production"); err != nil {
		t.Fatal(err)
	}
	_, checks, _ = s.doctor(t, path)
	if c := checks["state"]; !c.OK || !strings.Contains(c.Detail, `the lease of "smartlic-production" is held by replica `) || !strings.Contains(c.Detail, ", pid ") {
		t.Errorf("held lease: %+v", c)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	s.env["DATABASE_URL"] = fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/db", password, closedPort(t))
	code, checks, got := s.doctor(t, path)
	if c := checks["state"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, "connection refused") {
		t.Errorf("unreachable: %+v", c)
	}
	assertNoSecrets(t, got, password)
}

func TestDoctorInvalidSpec(t *testing.T) {
	path := writeSpec(t, strings.Replace(validSpec, "version: 1", "version: 2", 1))
	got := run(t, testEnv, "doctor", "-f", path)
	if got.code != ExitInvalid || !strings.Contains(got.stdout, "✗ spec") || !strings.Contains(got.stderr, path+":1:10: version:") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", got.code, got.stdout, got.stderr)
	}
	got = run(t, testEnv, "doctor", "-f", path, "--output", "json")
	if got.code != ExitInvalid || !strings.HasPrefix(got.stdout, "[\n  {\n    \"check\": \"spec\",\n    \"ok\": false,") ||
		!strings.Contains(got.stdout, "1:10: version: unsupported version 2") {
		t.Errorf("json: exit %d\n%s", got.code, got.stdout)
	}
	got = run(t, testEnv, "doctor", "-f", filepath.Join(t.TempDir(), "none.yaml"))
	if got.code != ExitInvalid || !strings.Contains(got.stdout, "reconciler init") || !strings.Contains(got.stderr, "no such file") {
		t.Errorf("no spec: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
}
