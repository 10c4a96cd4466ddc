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

// Acquire implements state.Locker: it tries every RetryPeriod, at once
// when the holder releases the lease, and as the holder's lease expires
// (by the database's clock) when that comes sooner, until it holds the
// unit's lease or ctx ends (then it returns ctx.Err()). Failures to reach
// the database are logged and retried; LastError reports them meanwhile.
func (s *Store) Acquire(ctx context.Context, name string) (state.Lease, error) {
	released, cancel := s.watch.subscribe("release " + name)
	defer cancel()
	var lastErr string
	var lastHolder state.Holder
	for {
		l, left, err := s.tryAcquire(ctx, name)
		if err == nil {
			return l, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var locked *state.LockedError
		switch {
		case errors.As(err, &locked):
			if h := locked.Holder; h.Instance != lastHolder.Instance || h.PID != lastHolder.PID || h.Host != lastHolder.Host {
				s.log.Info("standby: another replica holds the lease, waiting for it",
					zap.String("unit", name), zap.String("leader", h.Instance), zap.String("holder", h.String()))
				lastHolder = h
			}
		case err.Error() != lastErr:
			s.log.Warn("cannot acquire the lease; retrying", zap.String("unit", name), zap.Error(err))
		}
		lastErr = err.Error()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-released:
		case <-time.After(s.nextAttempt(left)):
		}
	}
}

// expiryMargin is how long after a holder's lease expires, by the
// database's clock, a follower tries to take it.
const expiryMargin = 10 * time.Millisecond

// nextAttempt is the pause before the next acquisition attempt when the
// holder's lease has left to run: RetryPeriod, or less when the lease
// expires sooner, so that a follower takes a dead leader's lease as it
// expires rather than up to a RetryPeriod later. left is measured by the
// database's clock, so no clock skew can make a follower poll faster.
func (s *Store) nextAttempt(left time.Duration) time.Duration {
	if left > 0 && left < s.opts.RetryPeriod {
		return left + expiryMargin
	}
	return s.opts.RetryPeriod
}

// TryAcquire implements state.Locker: one attempt, which fails with a
// *state.LockedError naming the holder when another process (or another
// lease of this Store) holds the unit's lease.
func (s *Store) TryAcquire(ctx context.Context, name string) (state.Lease, error) {
	l, _, err := s.tryAcquire(ctx, name)
	return l, err
}

// tryAcquire is TryAcquire; when another process holds the lease, it also
// returns how long that lease has left by the database's clock (0 when
// not known).
func (s *Store) tryAcquire(ctx context.Context, name string) (state.Lease, time.Duration, error) {
	if l := s.renew.held(name); l != nil {
		return nil, 0, &state.LockedError{Path: name, Holder: l.Holder()}
	}
	holder, _ := json.Marshal(s.self) // a Holder always encodes
	var epoch int64
	var since, expires time.Time
	sent, err := s.timed(ctx, func(c *pgxpool.Conn) error {
		return c.QueryRow(withKind(ctx, "acquire"), acquireSQL,
			name, s.token, holder, s.opts.LeaseDuration.Microseconds()).Scan(&epoch, &since, &expires)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		h, left, ok, herr := s.holder(ctx, name)
		if herr != nil {
			return nil, 0, herr
		}
		if !ok { // released or expired in between: the next attempt gets it
			h = state.Holder{Command: "(just released)"}
		}
		return nil, left, &state.LockedError{Path: name, Holder: h}
	}
	if err != nil {
		return nil, 0, s.fail("acquiring the lease of unit "+quote(name), err)
	}
	h := s.self
	h.Since, h.Expires = since.UTC(), expires.UTC()
	l := newLease(s, name, epoch, h, sent)
	s.renew.add(l)
	s.log.Info("lease acquired", zap.String("unit", name), zap.Int64("epoch", epoch))
	return l, 0, nil
}

// Holder implements state.Locker: who holds the unit's lease by the
// database's clock, since when and until when (Holder.Since, .Expires).
func (s *Store) Holder(ctx context.Context, name string) (state.Holder, bool, error) {
	h, _, ok, err := s.holder(ctx, name)
	return h, ok, err
}

// holder is Holder, with how long the lease has left by the database's
// clock.
func (s *Store) holder(ctx context.Context, name string) (state.Holder, time.Duration, bool, error) {
	var raw []byte
	var since, expires time.Time
	var leftMicros int64
	err := s.pool.QueryRow(withKind(ctx, "holder"), `
		SELECT holder, acquired_at, expires_at, floor(extract(epoch FROM expires_at - now()) * 1000000)::bigint
		FROM reconciler_leases
		WHERE name = $1 AND holder_id IS NOT NULL AND expires_at > now()`, name).Scan(&raw, &since, &expires, &leftMicros)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Holder{}, 0, false, nil
	}
	if err != nil {
		return state.Holder{}, 0, false, s.fail("reading the lease of unit "+quote(name), err)
	}
	var h state.Holder
	_ = json.Unmarshal(raw, &h) // a damaged holder still holds; show what we have
	h.Since, h.Expires = since.UTC(), expires.UTC()
	return h, time.Duration(leftMicros) * time.Microsecond, true, nil
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
