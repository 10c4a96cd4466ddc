package pgstore_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/smartlic/reconciler/state/pgstore"
)

// TestInspectReadsWithoutWriting checks what doctor relies on: on a fresh
// database Inspect creates no table, and once a store runs it names the
// holders of the unit's lease and of its environments' units only.
func TestInspectReadsWithoutWriting(t *testing.T) {
	dsn := pg.Database(t)
	in, err := pgstore.Inspect(t.Context(), dsn, "unit")
	if err != nil || in.SchemaVersion != 0 || len(in.Leases) != 0 || !strings.Contains(in.Target, " as ") {
		t.Fatalf("fresh database: %+v, %v", in, err)
	}
	if in, err := pgstore.Inspect(t.Context(), dsn, "unit"); err != nil || in.SchemaVersion != 0 {
		t.Fatalf("Inspect created the tables: %+v, %v", in, err)
	}
	s, err := pgstore.Open(t.Context(), dsn, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, unit := range []string{"unit", "unit/pr-1", "unitx", "other"} {
		if _, err := s.TryAcquire(t.Context(), unit); err != nil {
			t.Fatalf("acquire %s: %v", unit, err)
		}
	}
	in, err = pgstore.Inspect(t.Context(), dsn, "unit")
	if err != nil || in.SchemaVersion != pgstore.SchemaVersion || len(in.Leases) != 2 {
		t.Fatalf("with leases: %+v, %v", in, err)
	}
	for _, unit := range []string{"unit", "unit/pr-1"} {
		if h, ok := in.Leases[unit]; !ok || h.Command != "pgstore test" || h.Expires.IsZero() {
			t.Errorf("lease of %s: %+v", unit, h)
		}
	}
}

func TestInspectFailuresHideThePassword(t *testing.T) {
	port := closedPort(t)
	_, err := pgstore.Inspect(t.Context(), fmt.Sprintf("postgres://app:%s@127.0.0.1:%d/db", secret, port), "unit")
	want := fmt.Sprintf("connecting to postgres at 127.0.0.1:%d as app: connection refused", port)
	if err == nil || err.Error() != want {
		t.Fatalf("refused: got %v, want %q", err, want)
	}
	srv := pg.Server(t)
	dsn := fmt.Sprintf("postgres://postgres:%s@%s/postgres?sslmode=disable", url.QueryEscape(secret), srv.Addr())
	_, err = pgstore.Inspect(t.Context(), dsn, "unit")
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "password authentication failed") {
		t.Fatalf("wrong password: %v", err)
	}
}
