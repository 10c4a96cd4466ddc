package pgstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	s := open(t, pg.Database(t))
	if _, err := s.Load(t.Context(), "app"); !errors.Is(err, state.ErrNoState) {
		t.Fatalf("Load before any save: got %v, want ErrNoState", err)
	}
	l := acquire(t, s, "app")
	st := state.New("app", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	st.Phase = state.RolledBack
	st.Health = state.Health{Mode: state.ModeRolledBack, Unhealthy: 3, Rollbacks: []time.Time{st.Since}}
	st.Owed = []string{"api", "worker"}
	st.TrackDeploy("api", &state.Deploy{ServiceID: "svc-1", Reason: "rollback", Intent: st.Since})
	if err := s.Save(t.Context(), l, st); err != nil {
		t.Fatalf("Save: %v", err)
	}
	got, err := s.Load(t.Context(), "app")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Phase != state.RolledBack || got.Health.Unhealthy != 3 || len(got.Owed) != 2 ||
		got.DeployFor("api").ServiceID != "svc-1" || !got.Since.Equal(st.Since) || got.Version != state.SchemaVersion {
		t.Fatalf("round trip changed the state: %+v", got)
	}
	st.Phase = state.Healthy
	if err := s.Save(t.Context(), l, st); err != nil {
		t.Fatalf("second Save: %v", err)
	}
	if got, _ := s.Load(t.Context(), "app"); got.Phase != state.Healthy {
		t.Fatalf("second save not loaded: %s", got.Phase)
	}
}

func TestSaveRefusesAnotherUnitsLease(t *testing.T) {
	s := open(t, pg.Database(t))
	l := acquire(t, s, "a")
	if err := s.Save(t.Context(), l, state.New("b", time.Now())); err == nil {
		t.Fatalf("Save of unit b under the lease of a succeeded")
	}
	if err := s.Save(t.Context(), nil, state.New("a", time.Now())); err == nil {
		t.Fatalf("Save without a lease succeeded")
	}
	if err := s.Save(t.Context(), l, nil); err == nil {
		t.Fatalf("Save of no state succeeded")
	}
}

// TestCorruptAndForeignRowsAreRefusedAndUntouched covers a document that
// does not decode, one without its required fields, one naming another
// unit, and one written by a newer build.
func TestCorruptAndForeignRowsAreRefusedAndUntouched(t *testing.T) {
	dsn := pg.Database(t)
	s := open(t, dsn)
	rows := []struct {
		name, doc string
		version   int
		want      error
	}{
		{"undecodable", `{"version": "one"}`, 1, state.ErrCorrupt},
		{"incomplete", `{"version": 1, "name": "incomplete"}`, 1, state.ErrCorrupt},
		{"foreign", `{"version": 1, "name": "other", "phase": "Healthy", "health": {"mode": "Bound"}}`, 1, state.ErrCorrupt},
		{"array", `[1, 2]`, 1, state.ErrCorrupt},
		{"null", `null`, 1, state.ErrCorrupt},
		{"newer", `{"version": 99, "name": "newer", "phase": "Healthy", "health": {"mode": "Bound"}}`, 99, state.ErrNewerState},
	}
	for _, r := range rows {
		execSQL(t, dsn, "INSERT INTO reconciler_units (name, doc, version, epoch) VALUES ($1, $2, $3, 0)", r.name, r.doc, r.version)
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			_, err := s.Load(t.Context(), r.name)
			if !errors.Is(err, r.want) {
				t.Fatalf("Load: got %v, want %v", err, r.want)
			}
			t.Logf("Load: %v", err)
			l := acquire(t, s, r.name)
			defer l.Release(t.Context())
			err = s.Save(t.Context(), l, state.New(r.name, time.Now()))
			if !errors.Is(err, r.want) {
				t.Fatalf("Save over it: got %v, want %v", err, r.want)
			}
			if !query[bool](t, dsn, "SELECT doc = $2::jsonb FROM reconciler_units WHERE name = $1", r.name, r.doc) {
				t.Fatalf("row overwritten")
			}
		})
	}
}
