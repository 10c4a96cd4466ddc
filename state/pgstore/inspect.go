package pgstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smartlic/reconciler/state"
)

// Inspection is what Inspect found in a database, for `reconciler doctor`.
type Inspection struct {
	// Target describes the database: "HOST:PORT as USER".
	Target string
	// SchemaVersion is the version of the reconciler's tables there; 0 when
	// they do not exist yet (the first Open creates them).
	SchemaVersion int
	// Leases are the valid leases of the units inspected, by unit name.
	Leases map[string]state.Holder
}

// Inspect connects once to the database at url and reads, without writing
// anything (no table is created, no lease taken), the schema version of the
// reconciler's tables and who holds the lease of unit name and of its
// environments' units ("name/ENV"). An unreachable or unauthorised
// database is a one-line error naming the host, port and user, never the
// password; the connection attempt is bounded by ctx and by the URL's
// connect_timeout, else DefaultConnectTimeout. A schema newer than this
// build is reported (SchemaVersion > the build's), not refused.
func Inspect(ctx context.Context, url, name string) (Inspection, error) {
	red := newRedactor(url)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return Inspection{}, red.wrap("invalid postgres URL", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	cfg.RuntimeParams["application_name"] = "reconciler doctor"
	in := Inspection{Target: fmt.Sprintf("%s:%d as %s", cfg.Host, cfg.Port, cfg.User), Leases: map[string]state.Holder{}}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return in, fmt.Errorf("connecting to postgres at %s: %s", in.Target, red.cause(err, cfg.ConnectTimeout))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := in.read(ctx, conn, name); err != nil {
		return in, fmt.Errorf("postgres at %s: %s", in.Target, red.cause(err, cfg.ConnectTimeout))
	}
	return in, nil
}

// read fills the schema version and the leases.
func (in *Inspection) read(ctx context.Context, conn *pgx.Conn, name string) error {
	var versioned, leases bool
	err := conn.QueryRow(ctx, `SELECT to_regclass('reconciler_schema_version') IS NOT NULL,
		to_regclass('reconciler_leases') IS NOT NULL`).Scan(&versioned, &leases)
	if err != nil {
		return err
	}
	if versioned {
		if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM reconciler_schema_version").Scan(&in.SchemaVersion); err != nil {
			return err
		}
	}
	if !leases {
		return nil
	}
	rows, err := conn.Query(ctx, `SELECT name, holder, acquired_at, expires_at FROM reconciler_leases
		WHERE (name = $1 OR starts_with(name, $1 || '/')) AND holder_id IS NOT NULL AND expires_at > now()
		ORDER BY name`, name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var unit string
		var raw []byte
		var since, expires time.Time
		if err := rows.Scan(&unit, &raw, &since, &expires); err != nil {
			return err
		}
		var h state.Holder
		_ = json.Unmarshal(raw, &h) // a damaged holder still holds; show what we have
		h.Since, h.Expires = since.UTC(), expires.UTC()
		in.Leases[unit] = h
	}
	return rows.Err()
}
