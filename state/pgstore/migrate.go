package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/state"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key under which migrations run
// ("reconcil" in ASCII), so that replicas starting at once take turns.
const migrationLock = 0x7265636f6e63696c

// migration is one embedded SQL file, NNNN_name.sql, applied in order.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations, numbered 1, 2, ... in order.
func migrations() []migration {
	paths, _ := fs.Glob(migrationFiles, "migrations/*.sql") // the pattern is valid
	var out []migration
	for i, p := range paths { // fs.Glob sorts
		base := path.Base(p)
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil || n != i+1 {
			panic("pgstore: migration " + base + " is out of sequence") // a build defect
		}
		b, _ := migrationFiles.ReadFile(p) // listed just above
		out = append(out, migration{version: n, name: base, sql: string(b)})
	}
	if len(out) != SchemaVersion {
		panic("pgstore: SchemaVersion does not match the embedded migrations") // a build defect
	}
	return out
}

// SchemaVersion is the version of the tables this build creates: the
// number of embedded migrations.
const SchemaVersion = 1

// migrate brings the schema to SchemaVersion in one transaction, under the
// advisory lock. It refuses a schema newer than this build.
func (s *Store) migrate(ctx context.Context) error {
	ctx = withKind(ctx, "migrate")
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.migrateTx(ctx, tx, migrations()) })
	if err != nil {
		if isNewer(err) {
			return err
		}
		return s.fail("migrating the reconciler's tables", err)
	}
	return nil
}

func (s *Store) migrateTx(ctx context.Context, tx pgx.Tx, migs []migration) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS reconciler_schema_version (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	var current int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM reconciler_schema_version").Scan(&current); err != nil {
		return err
	}
	if current > len(migs) {
		return fmt.Errorf("%w: the database's reconciler tables are at schema version %d, this build knows up to %d: upgrade the reconciler",
			state.ErrNewerState, current, len(migs))
	}
	for _, m := range migs[current:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO reconciler_schema_version (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
			return err
		}
		s.log.Info("postgres schema migrated", zap.String("migration", m.name))
	}
	return nil
}
