package pgstore_test

import (
	"testing"
	"time"

	"github.com/smartlic/reconciler/state/pgstore"
)

func memberIDs(t *testing.T, s *pgstore.Store) map[string]bool {
	t.Helper()
	ms, err := s.Members(t.Context())
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	ids := map[string]bool{}
	for _, m := range ms {
		ids[m.ID] = true
		if m.Self != (m.ID == s.ID()) || m.Holder.Expires.IsZero() || m.Holder.PID == 0 {
			t.Fatalf("member %+v", m)
		}
	}
	return ids
}

func TestMembersJoinHeartbeatLeaveAndExpire(t *testing.T) {
	dsn := pg.Database(t)
	a, b, c := open(t, dsn, slowOptions()), open(t, dsn, slowOptions()), open(t, dsn, slowOptions())
	for _, s := range []*pgstore.Store{a, b, c} {
		if err := s.Join(t.Context()); err != nil {
			t.Fatalf("Join: %v", err)
		}
	}
	if ids := memberIDs(t, a); len(ids) != 3 || !ids[a.ID()] || !ids[b.ID()] || !ids[c.ID()] {
		t.Fatalf("members after three joins: %v", ids)
	}
	// Heartbeats keep them listed past a lease duration.
	joined := time.Now()
	waitFor(t, 2*slowLease, "a lease duration", func() bool { return time.Since(joined) > slowLease+slowRetry })
	if ids := memberIDs(t, a); len(ids) != 3 {
		t.Fatalf("members after a lease duration of heartbeats: %v", ids)
	}
	// Leave removes at once.
	if err := b.Leave(t.Context()); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	if ids := memberIDs(t, a); len(ids) != 2 || ids[b.ID()] {
		t.Fatalf("members after b left: %v", ids)
	}
	// A replica that stops heartbeating drops out within a lease duration.
	c.PauseRenewals(true)
	frozen := time.Now()
	waitFor(t, slowLease+slowRetry+slack, "a frozen member drops out", func() bool { return !memberIDs(t, a)[c.ID()] })
	t.Logf("frozen member gone after %v", time.Since(frozen).Round(time.Millisecond))
	if ids := memberIDs(t, a); len(ids) != 1 || !ids[a.ID()] {
		t.Fatalf("members at the end: %v", ids)
	}
}
