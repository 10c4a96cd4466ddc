package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
)

// renewSQL renews every lease of this Store (token $1) named in $3 with the
// epoch in $4, as long as it has not expired by the database's clock.
const renewSQL = `
UPDATE reconciler_leases AS l
SET renewed_at = now(), expires_at = now() + $2 * interval '1 microsecond'
FROM unnest($3::text[], $4::bigint[]) AS h(name, epoch)
WHERE l.name = h.name AND l.epoch = h.epoch AND l.holder_id = $1 AND l.expires_at > now()
RETURNING l.name, l.expires_at`

// heartbeatSQL is renewSQL preceded by this replica's membership heartbeat
// ($5 its holder), so that one statement a tick does both.
const heartbeatSQL = `
WITH m AS (
    INSERT INTO reconciler_members (id, holder, expires_at)
    VALUES ($1, $5, now() + $2 * interval '1 microsecond')
    ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at
)` + renewSQL

// renewer renews all the leases of a Store, and its membership, in one
// statement every RetryPeriod.
type renewer struct {
	s *Store

	mu     sync.Mutex
	leases map[string]*heldLease
	member bool
	// paused skips renewals, for tests of a holder that stops renewing.
	paused bool
}

func newRenewer(s *Store) *renewer { return &renewer{s: s, leases: map[string]*heldLease{}} }

func (r *renewer) add(l *heldLease) {
	r.mu.Lock()
	r.leases[l.name] = l
	r.mu.Unlock()
}

func (r *renewer) remove(l *heldLease) {
	r.mu.Lock()
	if r.leases[l.name] == l {
		delete(r.leases, l.name)
	}
	r.mu.Unlock()
}

// held returns the live lease of this Store on name, if any.
func (r *renewer) held(name string) *heldLease {
	r.mu.Lock()
	l := r.leases[name]
	r.mu.Unlock()
	if l == nil || l.check() != nil {
		return nil
	}
	return l
}

func (r *renewer) setMember(on bool) {
	r.mu.Lock()
	r.member = on
	r.mu.Unlock()
}

func (r *renewer) run(ctx context.Context) {
	t := time.NewTicker(r.s.opts.RetryPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.tick(ctx)
		}
	}
}

// snapshot returns the leases still within their deadline.
func (r *renewer) snapshot() ([]*heldLease, bool) {
	r.mu.Lock()
	ls := make([]*heldLease, 0, len(r.leases))
	for _, l := range r.leases {
		ls = append(ls, l)
	}
	member, paused := r.member, r.paused
	r.mu.Unlock()
	if paused {
		return nil, false
	}
	live := ls[:0]
	for _, l := range ls {
		if l.check() == nil {
			live = append(live, l)
		}
	}
	return live, member
}

// tick sends one renewal for every live lease (and the heartbeat), bounded
// by RenewDeadline; a lease it does not return is lost.
func (r *renewer) tick(ctx context.Context) {
	ls, member := r.snapshot()
	if len(ls) == 0 && !member {
		return
	}
	names, epochs := make([]string, len(ls)), make([]int64, len(ls))
	for i, l := range ls {
		names[i], epochs[i] = l.name, l.epoch
	}
	ctx, cancel := context.WithTimeout(withKind(ctx, "renew"), r.s.opts.RenewDeadline)
	defer cancel()
	sql, args := renewSQL, []any{r.s.token, r.s.opts.LeaseDuration.Microseconds(), names, epochs}
	if member {
		holder, _ := json.Marshal(r.s.self) // a Holder always encodes
		sql, args = heartbeatSQL, append(args, holder)
	}
	sent, renewed, err := r.send(ctx, sql, args)
	if err != nil && isConnErr(err) && ctx.Err() == nil {
		// A connection broken by a database restart: the pool was reset,
		// and a fresh connection may succeed at once.
		sent, renewed, err = r.send(ctx, sql, args)
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) { // not Close
			r.s.log.Warn("lease renewal failed", zap.Int("leases", len(ls)), zap.Error(err))
		}
		for _, l := range ls {
			l.failed(err)
		}
		return
	}
	for _, l := range ls {
		if exp, ok := renewed[l.name]; ok {
			l.renewed(sent, exp)
		} else {
			l.lose(r.s.lostCause(ctx, l.name))
		}
	}
}

// send runs the renewal and returns when it was sent (after the
// connection was had, which may take up to ConnectTimeout) and the new
// expiry of each lease it renewed.
func (r *renewer) send(ctx context.Context, sql string, args []any) (time.Time, map[string]time.Time, error) {
	renewed := map[string]time.Time{}
	sent, err := r.s.timed(ctx, func(c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var exp time.Time
			if err := rows.Scan(&name, &exp); err != nil {
				return err
			}
			renewed[name] = exp.UTC()
		}
		return rows.Err()
	})
	return sent, renewed, r.s.fail("renewing leases", err)
}

// releaseAll releases every lease still held, at Close.
func (r *renewer) releaseAll(ctx context.Context) {
	r.mu.Lock()
	ls := make([]*heldLease, 0, len(r.leases))
	for _, l := range r.leases {
		ls = append(ls, l)
	}
	member := r.member
	r.mu.Unlock()
	for _, l := range ls {
		_ = l.Release(ctx) // best effort: the lease expires anyway
	}
	if member {
		_ = r.s.leave(ctx)
	}
}
