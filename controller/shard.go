package controller

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// membership is the replica list of the shared store (pgstore.Store).
type membership interface {
	Join(ctx context.Context) error
	Leave(ctx context.Context) error
	Members(ctx context.Context) ([]pgstore.Member, error)
	ID() string
}

// shard assigns a fleet's units to the live replicas sharing PostgreSQL:
// the units sorted by name go round-robin to the replicas sorted by id, so
// each replica is assigned at most ceil(units/replicas). A replica tries to
// lead only the units assigned to it, and hands a unit over (its term ends
// gracefully, its lease is released) when the assignment moves it, so the
// fleet rebalances within about one lease duration of a replica joining or
// leaving (a replica that died leaves the list when its heartbeat
// expires). Leases, not the assignment, guarantee that one replica acts for
// a unit: while replicas disagree for a moment, one holds the lease and
// the other waits.
type shard struct {
	c     *Controller
	m     membership
	log   *zap.Logger
	every time.Duration

	mu      sync.Mutex
	members []string
	changed chan struct{} // closed, then replaced, when the members change
}

func newShard(c *Controller, s *app.Store) *shard {
	m, ok := s.Backend.(membership)
	if !ok {
		return nil
	}
	every := c.opts.Spec.State.Postgres.RetryPeriod
	if every <= 0 {
		every = 2 * time.Second
	}
	return &shard{c: c, m: m, log: c.log.Named("shard"), every: every, changed: make(chan struct{})}
}

// run joins the replica list and follows it until ctx ends.
func (s *shard) run(ctx context.Context) {
	if err := s.m.Join(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("joining the replica list failed; retrying", zap.Error(err))
	}
	for {
		s.refresh(ctx)
		if sleepCtx(ctx, s.every) != nil {
			return
		}
	}
}

func (s *shard) refresh(ctx context.Context) {
	ms, err := s.m.Members(ctx)
	if err != nil {
		return // keep the last list: leases still guard every unit
	}
	ids := make([]string, 0, len(ms))
	self := false
	for _, m := range ms {
		ids = append(ids, m.ID)
		self = self || m.Self
	}
	if !self {
		_ = s.m.Join(ctx) // our heartbeat expired (the database was away): join again
		ids = append(ids, s.m.ID())
	}
	slices.Sort(ids)
	s.mu.Lock()
	defer s.mu.Unlock()
	if slices.Equal(ids, s.members) {
		return
	}
	s.log.Info("replicas changed: rebalancing the units", zap.Int("replicas", len(ids)))
	s.members = ids
	close(s.changed)
	s.changed = make(chan struct{})
}

// leave removes this replica from the list (shutdown), so that the others
// rebalance at once.
func (s *shard) leave() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.m.Leave(ctx) // a heartbeat that stops expires anyway
}

// owns reports whether unit name is assigned to this replica, and the
// channel that is closed when that may change.
func (s *shard) owns(name string) (bool, <-chan struct{}) {
	units := s.c.unitList()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(units, func(u *unit) bool { return u.name == name })
	if i < 0 || len(s.members) == 0 {
		return false, s.changed
	}
	return s.members[i%len(s.members)] == s.m.ID(), s.changed
}

// acquire waits until unit u is assigned to this replica and its lease is
// free, and takes it.
func (s *shard) acquire(ctx context.Context, u *unit) (state.Lease, error) {
	for {
		mine, changed := s.owns(u.name)
		if mine {
			l, err := u.app.Locker.TryAcquire(ctx, u.name)
			var locked *state.LockedError
			switch {
			case err == nil:
				return l, nil
			case !errors.As(err, &locked) && ctx.Err() == nil:
				u.log.Warn("taking the unit's lease failed; retrying", zap.Error(err))
			}
		}
		t := time.NewTimer(s.every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// revoked returns a channel closed when unit name is no longer assigned
// to this replica, until ctx ends.
func (s *shard) revoked(ctx context.Context, name string) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		for {
			mine, changed := s.owns(name)
			if !mine {
				close(out)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
		}
	}()
	return out
}
