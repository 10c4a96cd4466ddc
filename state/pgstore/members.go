package pgstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/smartlic/reconciler/state"
)

// Member is a live replica, for sharding units across replicas.
type Member struct {
	// ID identifies the replica's Store; stable while it runs.
	ID string
	// Holder describes it; Holder.Since is when it joined and
	// Holder.Expires when it drops out unless it heartbeats.
	Holder state.Holder
	// Self is true for the Store that asked.
	Self bool
}

// Join makes this replica a member: it is listed by Members, on every
// replica, until Leave, or until it has not heartbeat for LeaseDuration
// (the heartbeat rides on the lease renewal, every RetryPeriod). Joining
// again is harmless.
func (s *Store) Join(ctx context.Context) error {
	holder, _ := json.Marshal(s.self) // a Holder always encodes
	_, err := s.pool.Exec(withKind(ctx, "members"), `
		WITH gc AS (DELETE FROM reconciler_members WHERE expires_at < now() - interval '1 day')
		INSERT INTO reconciler_members (id, holder, expires_at)
		VALUES ($1, $2, now() + $3 * interval '1 microsecond')
		ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
		s.token, holder, s.opts.LeaseDuration.Microseconds())
	if err != nil {
		return s.fail("joining the replicas", err)
	}
	s.renew.setMember(true)
	return nil
}

// Leave removes this replica from the members at once, so that the others
// rebalance without waiting for it to expire.
func (s *Store) Leave(ctx context.Context) error {
	s.renew.setMember(false)
	return s.leave(ctx)
}

func (s *Store) leave(ctx context.Context) error {
	_, err := s.pool.Exec(withKind(ctx, "members"), "DELETE FROM reconciler_members WHERE id = $1", s.token)
	return s.fail("leaving the replicas", err)
}

// Members lists the live replicas by the database's clock, ordered by ID,
// so that every replica sees the same list.
func (s *Store) Members(ctx context.Context) ([]Member, error) {
	rows, err := s.pool.Query(withKind(ctx, "members"), `
		SELECT id, holder, joined_at, expires_at FROM reconciler_members
		WHERE expires_at > now() ORDER BY id`)
	if err != nil {
		return nil, s.fail("listing the replicas", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		var raw []byte
		var since, expires time.Time
		if err := rows.Scan(&m.ID, &raw, &since, &expires); err != nil {
			return nil, s.fail("listing the replicas", err)
		}
		_ = json.Unmarshal(raw, &m.Holder) // a damaged holder is still a member
		m.Holder.Since, m.Holder.Expires = since.UTC(), expires.UTC()
		m.Self = m.ID == s.token
		out = append(out, m)
	}
	return out, s.fail("listing the replicas", rows.Err())
}

// ID is this replica's member ID (and its leases' holder id).
func (s *Store) ID() string { return s.token }
