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

// A missing or corrupt state is no reason to refuse a read-only command:
// it plans from a fresh state and never touches the file.
func TestReadOnlyStartsFreshWithoutAUsableState(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"missing": "", "corrupt": "{not json"} {
		path := filepath.Join(dir, name+".json")
		if content != "" {
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		a, err := Build(t.Context(), Options{Spec: testSpec(t, path), LookupEnv: lookup, Store: StoreReadOnly})
		if err != nil {
			t.Fatalf("%s: Build = %v", name, err)
		}
		if a.Store != nil || a.Reconciler.State().Phase != state.Pending {
			t.Errorf("%s: store %v, phase %s; want no store and a fresh state", name, a.Store, a.Reconciler.State().Phase)
		}
		a.Close()
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("%s: the state file was touched: %q", name, b)
		}
	}
}
