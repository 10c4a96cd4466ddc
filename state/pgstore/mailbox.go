package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smartlic/reconciler/state"
)

// ErrNoLeader means a request was not answered because no replica held
// the unit's lease; ErrNoAnswer that the leader did not answer in time.
// Await withdraws the request in both cases, so that it is never carried
// out later by surprise.
var (
	ErrNoLeader = errors.New("no replica holds the lease")
	ErrNoAnswer = errors.New("the leader did not answer")
)

// withdrawTimeout bounds the statements Await makes after its ctx ended.
const withdrawTimeout = 5 * time.Second

// Post implements state.Mailbox: it records r (setting ID, At and By when
// empty) and wakes the unit's leader. Answered requests older than a week
// are deleted on the way.
func (s *Store) Post(ctx context.Context, r state.Request) (string, error) {
	if r.Name == "" || (r.Action != state.RequestRollback && r.Action != state.RequestRollForward) {
		return "", fmt.Errorf("posting a request: unit %q, action %q: want a unit and %q or %q",
			r.Name, r.Action, state.RequestRollback, state.RequestRollForward)
	}
	if r.ID == "" {
		r.ID = rand.Text()
	}
	if r.At.IsZero() {
		r.At = time.Now().UTC()
	}
	if r.By == "" {
		host, _ := os.Hostname()
		r.By = fmt.Sprintf("pid %d on %s", os.Getpid(), host)
	}
	req, _ := json.Marshal(r) // a Request always encodes
	_, err := s.pool.Exec(withKind(ctx, "post"), `
		WITH gc AS (DELETE FROM reconciler_requests WHERE answered_at < now() - interval '7 days'),
		r AS (INSERT INTO reconciler_requests (id, name, request) VALUES ($1, $2, $3) RETURNING name)
		SELECT pg_notify('reconciler', 'post ' || name) FROM r`, r.ID, r.Name, req)
	if err != nil {
		return "", s.fail("posting a "+r.Action+" request for unit "+quote(r.Name), err)
	}
	return r.ID, nil
}

// Pending implements state.Mailbox: the unit's unanswered requests younger
// than RequestTTL, oldest first.
func (s *Store) Pending(ctx context.Context, name string) ([]state.Request, error) {
	rows, err := s.pool.Query(withKind(ctx, "pending"), `
		SELECT request FROM reconciler_requests
		WHERE name = $1 AND response IS NULL AND posted_at > now() - $2 * interval '1 microsecond'
		ORDER BY posted_at, id`, name, s.opts.RequestTTL.Microseconds())
	if err != nil {
		return nil, s.fail("reading the requests for unit "+quote(name), err)
	}
	reqs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (state.Request, error) {
		var raw []byte
		var r state.Request
		if err := row.Scan(&raw); err != nil {
			return r, err
		}
		return r, json.Unmarshal(raw, &r)
	})
	return reqs, s.fail("reading the requests for unit "+quote(name), err)
}

// pendingUnits returns which of names have a pending request (Wake's poll).
func (s *Store) pendingUnits(ctx context.Context, names []string) ([]string, error) {
	rows, err := s.pool.Query(withKind(ctx, "poll"), `
		SELECT DISTINCT name FROM reconciler_requests
		WHERE name = ANY($1) AND response IS NULL AND posted_at > now() - $2 * interval '1 microsecond'`,
		names, s.opts.RequestTTL.Microseconds())
	if err != nil {
		return nil, s.fail("polling the requests", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, s.fail("polling the requests", err)
}

// answerSQL records a response while the lease is the unit's valid one
// (as saveSQL), and wakes the waiter.
const answerSQL = `
WITH l AS (
    SELECT epoch FROM reconciler_leases
    WHERE name = $1 AND holder_id = $2 AND epoch = $3 AND expires_at > now()
    FOR SHARE
), a AS (
    UPDATE reconciler_requests SET response = $5, answered_at = now(), answered_epoch = $3
    WHERE id = $4 AND name = $1 AND response IS NULL AND EXISTS (SELECT 1 FROM l)
    RETURNING id
)
SELECT pg_notify('reconciler', 'answer ' || id) FROM a`

// Answer implements state.Mailbox: it records the outcome of request id
// under lease, failing with state.ErrFenced when the lease is no longer
// valid. A request already answered or withdrawn (its poster gave up
// waiting) is an error, and its answer is not recorded.
func (s *Store) Answer(ctx context.Context, lease state.Lease, id string, resp state.Response) error {
	l, err := s.own(lease, lease.Name())
	if err != nil {
		return err
	}
	if err := l.check(); err != nil {
		return fmt.Errorf("%w: answering request %s: %w", state.ErrFenced, id, err)
	}
	if resp.At.IsZero() {
		resp.At = time.Now().UTC()
	}
	raw, _ := json.Marshal(resp) // a Response always encodes
	tag, err := s.pool.Exec(withKind(ctx, "answer"), answerSQL, l.name, s.token, l.epoch, id, raw)
	if err != nil {
		return s.fail("answering request "+id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var valid bool
	err = s.pool.QueryRow(withKind(ctx, "answer"), `SELECT holder_id = $2 AND epoch = $3 AND expires_at > now()
		FROM reconciler_leases WHERE name = $1`, l.name, s.token, l.epoch).Scan(&valid)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return s.fail("answering request "+id, err)
	}
	if !valid {
		cause := s.lostCause(ctx, l.name)
		l.lose(cause)
		return fmt.Errorf("%w: answering request %s: %w", state.ErrFenced, id, cause)
	}
	return fmt.Errorf("answering request %s: no pending request with that id for unit %q (answered, withdrawn or unknown)", id, l.name)
}
