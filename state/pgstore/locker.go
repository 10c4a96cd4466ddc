package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/state"
)

// acquireSQL takes a unit's lease when it is free, released or expired by
// the database's clock (or a stale row of this Store's own), incrementing
// the epoch.
const acquireSQL = `
INSERT INTO reconciler_leases AS l (name, epoch, holder_id, holder, acquired_at, renewed_at, expires_at)
VALUES ($1, 1, $2, $3, now(), now(), now() + $4 * interval '1 microsecond')
ON CONFLICT (name) DO UPDATE
    SET epoch = l.epoch + 1, holder_id = EXCLUDED.holder_id, holder = EXCLUDED.holder,
        acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at
    WHERE l.holder_id IS NULL OR l.expires_at <= now() OR l.holder_id = EXCLUDED.holder_id
RETURNING l.epoch, l.acquired_at, l.expires_at`

// Acquire implements state.Locker: it tries every RetryPeriod, or at once
// when the holder releases the lease, until it holds the unit's lease or
// ctx ends (then it returns ctx.Err()). Failures to reach the database are
// logged and retried; LastError reports them meanwhile.
func (s *Store) Acquire(ctx context.Context, name string) (state.Lease, error) {
	released, cancel := s.watch.subscribe("release " + name)
	defer cancel()
	var lastErr string
	for {
		l, err := s.TryAcquire(ctx, name)
		if err == nil {
			return l, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, state.ErrLocked) && err.Error() != lastErr {
			s.log.Warn("cannot acquire the lease; retrying", zap.String("unit", name), zap.Error(err))
		}
		lastErr = err.Error()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-released:
		case <-time.After(s.opts.RetryPeriod):
		}
	}
}

// TryAcquire implements state.Locker: one attempt, which fails with a
// *state.LockedError naming the holder when another process (or another
// lease of this Store) holds the unit's lease.
func (s *Store) TryAcquire(ctx context.Context, name string) (state.Lease, error) {
	if l := s.renew.held(name); l != nil {
		return nil, &state.LockedError{Path: name, Holder: l.Holder()}
	}
	holder, _ := json.Marshal(s.self) // a Holder always encodes
	var epoch int64
	var since, expires time.Time
	sent, err := s.timed(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(withKind(ctx, "acquire"), acquireSQL,
			name, s.token, holder, s.opts.LeaseDuration.Microseconds()).Scan(&epoch, &since, &expires)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		h, ok, herr := s.Holder(ctx, name)
		if herr != nil {
			return nil, herr
		}
		if !ok { // released or expired in between: the next attempt gets it
			h = state.Holder{Command: "(just released)"}
		}
		return nil, &state.LockedError{Path: name, Holder: h}
	}
	if err != nil {
		return nil, s.fail("acquiring the lease of unit "+quote(name), err)
	}
	h := s.self
	h.Since, h.Expires = since.UTC(), expires.UTC()
	l := newLease(s, name, epoch, h, sent)
	s.renew.add(l)
	s.log.Info("lease acquired", zap.String("unit", name), zap.Int64("epoch", epoch))
	return l, nil
}

// Holder implements state.Locker: who holds the unit's lease by the
// database's clock, since when and until when (Holder.Since, .Expires).
func (s *Store) Holder(ctx context.Context, name string) (state.Holder, bool, error) {
	var raw []byte
	var since, expires time.Time
	err := s.pool.QueryRow(withKind(ctx, "holder"), `
		SELECT holder, acquired_at, expires_at FROM reconciler_leases
		WHERE name = $1 AND holder_id IS NOT NULL AND expires_at > now()`, name).Scan(&raw, &since, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Holder{}, false, nil
	}
	if err != nil {
		return state.Holder{}, false, s.fail("reading the lease of unit "+quote(name), err)
	}
	var h state.Holder
	_ = json.Unmarshal(raw, &h) // a damaged holder still holds; show what we have
	h.Since, h.Expires = since.UTC(), expires.UTC()
	return h, true, nil
}

// lostCause says why a lease is no longer valid, for a loss's message.
func (s *Store) lostCause(ctx context.Context, name string) error {
	h, ok, err := s.Holder(ctx, name)
	switch {
	case err != nil:
		return fmt.Errorf("the lease is no longer valid (%w)", err)
	case ok:
		return fmt.Errorf("the lease was taken by %s", h)
	default:
		return errors.New("the lease expired")
	}
}
