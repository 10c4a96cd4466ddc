package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/smartlic/reconciler/state"
)

// Interface checks.
var (
	_ state.Backend = (*Store)(nil)
	_ state.Locker  = (*Store)(nil)
	_ state.Mailbox = (*Store)(nil)
)

// Load reads a unit's state. It fails with state.ErrNoState when the unit
// has no row, state.ErrNewerState when the row was written by a newer
// build, and state.ErrCorrupt when the document does not decode, lacks its
// required fields, or names another unit (a foreign row). A refused row is
// left as it is, for a person to look at: Save will not overwrite it
// either.
func (s *Store) Load(ctx context.Context, name string) (*state.State, error) {
	var doc []byte
	var version int
	err := s.pool.QueryRow(withKind(ctx, "load"),
		"SELECT doc, version FROM reconciler_units WHERE name = $1", name).Scan(&doc, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("unit %q: %w", name, state.ErrNoState)
	}
	if err != nil {
		return nil, s.fail("loading state of unit "+quote(name), err)
	}
	return decode(name, version, doc)
}

// decode checks a row's document as state.Read checks a state file.
func decode(name string, version int, doc []byte) (*state.State, error) {
	if version > state.SchemaVersion {
		return nil, newer(name, version)
	}
	var st state.State
	if err := json.Unmarshal(doc, &st); err != nil {
		return nil, fmt.Errorf("%w: row %q of reconciler_units: %v", state.ErrCorrupt, name, err)
	}
	switch {
	case st.Version > state.SchemaVersion:
		return nil, newer(name, st.Version)
	case st.Version < 1 || st.Name == "" || st.Phase == "" || st.Health.Mode == "":
		return nil, fmt.Errorf("%w: row %q of reconciler_units: version %d or required fields missing",
			state.ErrCorrupt, name, st.Version)
	case st.Name != name:
		return nil, fmt.Errorf("%w: row %q of reconciler_units holds the state of unit %q (a foreign row; it is left untouched)",
			state.ErrCorrupt, name, st.Name)
	}
	return &st, nil
}

func newer(name string, version int) error {
	return fmt.Errorf("%w: row %q of reconciler_units has version %d, this build reads up to %d: upgrade the reconciler",
		state.ErrNewerState, name, version, state.SchemaVersion)
}

func isNewer(err error) bool { return errors.Is(err, state.ErrNewerState) }

// saveSQL writes the document only while the lease (holder, epoch) is the
// unit's valid one by the database's clock, holding the lease row with FOR
// SHARE so that no takeover can commit in between; it never overwrites a
// row written under a later epoch, by a newer build, or for another unit.
const saveSQL = `
WITH l AS (
    SELECT epoch FROM reconciler_leases
    WHERE name = $1 AND holder_id = $2 AND epoch = $3 AND expires_at > now()
    FOR SHARE
)
INSERT INTO reconciler_units AS u (name, doc, version, epoch, updated_at)
SELECT $1, $4, $5, l.epoch, now() FROM l
ON CONFLICT (name) DO UPDATE
    SET doc = EXCLUDED.doc, version = EXCLUDED.version, epoch = EXCLUDED.epoch, updated_at = now()
    WHERE u.epoch <= EXCLUDED.epoch AND u.version <= EXCLUDED.version AND u.doc->>'name' = u.name
RETURNING 1`

// Save writes st under st.Name in one statement, on condition that lease
// is still the unit's valid lease; otherwise it fails with state.ErrFenced
// (and the lease is lost) and writes nothing. It refuses to overwrite a
// newer or foreign row (state.ErrNewerState, state.ErrCorrupt). It sets
// st.Version.
func (s *Store) Save(ctx context.Context, lease state.Lease, st *state.State) error {
	if st == nil {
		return errors.New("saving state: no state given")
	}
	l, err := s.own(lease, st.Name)
	if err != nil {
		return err
	}
	if err := l.check(); err != nil {
		return fmt.Errorf("%w: saving unit %q: %w", state.ErrFenced, st.Name, err)
	}
	if err := s.verify(ctx, l); err != nil {
		return err
	}
	st.Version = state.SchemaVersion
	doc, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	var one int
	err = s.pool.QueryRow(withKind(ctx, "save"), saveSQL,
		st.Name, s.token, l.epoch, json.RawMessage(doc), state.SchemaVersion).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.refused(ctx, l, "saving unit "+quote(st.Name))
	}
	return s.fail("saving state of unit "+quote(st.Name), err)
}

// verify refuses, at the first save under a lease, to overwrite a row that
// Load refuses (corrupt, foreign or newer); later saves under the lease
// overwrite the lease's own rows, which saveSQL's epoch guard ensures.
func (s *Store) verify(ctx context.Context, l *heldLease) error {
	if l.verified.Load() {
		return nil
	}
	_, err := s.Load(ctx, l.name)
	if err != nil && !errors.Is(err, state.ErrNoState) {
		return fmt.Errorf("saving unit %q: refused: %w", l.name, err)
	}
	l.verified.Store(true)
	return nil
}

// own checks that lease is one of this Store's, on unit name.
func (s *Store) own(lease state.Lease, name string) (*heldLease, error) {
	l, ok := lease.(*heldLease)
	if !ok || l.s != s {
		return nil, fmt.Errorf("unit %q: the lease is not one of this postgres store's", name)
	}
	if l.name != name {
		return nil, fmt.Errorf("unit %q: the lease is on unit %q", name, l.name)
	}
	return l, nil
}

// refused explains a conditional write that matched nothing: the lease is
// no longer valid (the lease is then lost), or the row is newer or foreign.
func (s *Store) refused(ctx context.Context, l *heldLease, op string) error {
	ctx = withKind(ctx, "save")
	var valid bool
	err := s.pool.QueryRow(ctx, `SELECT holder_id = $2 AND epoch = $3 AND expires_at > now()
		FROM reconciler_leases WHERE name = $1`, l.name, s.token, l.epoch).Scan(&valid)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %s: %w", state.ErrFenced, op, s.fail("checking the lease", err))
	}
	if !valid {
		cause := s.lostCause(ctx, l.name)
		l.lose(cause)
		return fmt.Errorf("%w: %s: epoch %d: %w", state.ErrFenced, op, l.epoch, cause)
	}
	var doc []byte
	var version int
	err = s.pool.QueryRow(ctx, "SELECT doc, version FROM reconciler_units WHERE name = $1", l.name).Scan(&doc, &version)
	if err != nil {
		return s.fail(op, err)
	}
	if _, err := decode(l.name, version, doc); err != nil {
		return fmt.Errorf("%s: refused: %w", op, err)
	}
	return fmt.Errorf("%w: %s: the row was written under a later epoch", state.ErrFenced, op)
}

func quote(name string) string { return fmt.Sprintf("%q", name) }
