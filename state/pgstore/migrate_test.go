package pgstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

func query[T any](t *testing.T, dsn, sql string, args ...any) T {
	t.Helper()
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close(context.Background())
	var v T
	if err := c.QueryRow(t.Context(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func execSQL(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	c, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	dsn := pg.Database(t)
	for range 3 {
		s := open(t, dsn)
		_ = s.Close()
	}
	if n := query[int](t, dsn, "SELECT count(*) FROM reconciler_schema_version"); n != pgstore.SchemaVersion {
		t.Fatalf("%d schema versions recorded, want %d", n, pgstore.SchemaVersion)
	}
}

func TestConcurrentMigrationsDoNotRace(t *testing.T) {
	dsn := pg.Database(t)
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Go(func() {
			s, err := pgstore.Open(t.Context(), dsn, testOptions())
			if err == nil {
				_ = s.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	if n := query[int](t, dsn, "SELECT max(version) FROM reconciler_schema_version"); n != pgstore.SchemaVersion {
		t.Fatalf("schema at %d, want %d", n, pgstore.SchemaVersion)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dsn := pg.Database(t)
	_ = open(t, dsn).Close()
	execSQL(t, dsn, "INSERT INTO reconciler_schema_version (version, name) VALUES ($1, 'from the future')", pgstore.SchemaVersion+1)
	_, err := pgstore.Open(t.Context(), dsn, testOptions())
	if !errors.Is(err, state.ErrNewerState) {
		t.Fatalf("Open on a newer schema: got %v, want ErrNewerState", err)
	}
	t.Logf("%v", err)
}
