package app

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

func testSpec(t *testing.T, statePath string) *spec.Spec {
	t.Helper()
	doc := `
version: 1
name: smartlic-production
railway:
  endpoint: http://127.0.0.1:1/graphql/v2
  projectId: proj_1
  environment: production
addon:
  service: Redis
consumers:
  - service: backend
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
state:
  path: ` + statePath + "\n"
	sp, err := spec.Parse("desired.yaml", []byte(doc), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func lookup(k string) (string, bool) {
	if k == "RAILWAY_API_TOKEN" {
		return "tok-app-test-0123456789abcdef", true
	}
	return "", false
}

// A state written by a newer reconciler may hold a rollback or a hold this
// build cannot read: a read-only command (plan, report) refuses it as the
// locked ones do, instead of planning from a fresh state as if nothing were
// rolled back.
func TestReadOnlyRefusesANewerState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(`{"version":99,"phase":"Held","health":{"mode":"Held"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []StoreMode{StoreLocked, StoreReadOnly} {
		a, err := Build(t.Context(), Options{Spec: testSpec(t, path), LookupEnv: lookup, Store: mode})
		if !errors.Is(err, state.ErrNewerState) {
			if a != nil {
				a.Close()
			}
			t.Errorf("mode %d: Build = %v, want ErrNewerState", mode, err)
		}
	}
}

// A missing state is no reason to refuse a read-only command: it plans
// from a fresh state and never creates the file.
func TestReadOnlyStartsFreshWithoutAState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.json")
	a, err := Build(t.Context(), Options{Spec: testSpec(t, path), LookupEnv: lookup, Store: StoreReadOnly})
	if err != nil {
		t.Fatalf("Build = %v", err)
	}
	defer a.Close()
	if a.Lease != nil || a.Reconciler.State().Phase != state.Pending {
		t.Errorf("lease %v, phase %s; want no lease and a fresh state", a.Lease, a.Reconciler.State().Phase)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state file was created: %v", err)
	}
}

// A corrupt state may hold a rollback or a hold this build cannot read:
// plan and report refuse it (they would say "in sync" from a fresh state)
// and leave it untouched; the locked commands move it aside and start in
// Unknown.
func TestCorruptStateRefusedReadOnlyQuarantinedLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if a, err := Build(t.Context(), Options{Spec: testSpec(t, path), LookupEnv: lookup, Store: StoreReadOnly}); !errors.Is(err, state.ErrCorrupt) {
		if a != nil {
			a.Close()
		}
		t.Fatalf("read-only Build = %v, want ErrCorrupt", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Fatalf("the read-only command touched the state: %q", b)
	}
	a, err := Build(t.Context(), Options{Spec: testSpec(t, path), LookupEnv: lookup, Store: StoreLocked})
	if err != nil {
		t.Fatalf("locked Build = %v", err)
	}
	defer a.Close()
	if a.Loaded.CorruptMovedTo == "" || a.Reconciler.State().Phase != state.Unknown {
		t.Fatalf("loaded %+v, phase %s; want moved aside and Unknown", a.Loaded, a.Reconciler.State().Phase)
	}
}
