package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// followEvery is how often a standby reads the shared state it serves.
const followEvery = 2 * time.Second

// shared is what a standby last read from the store: the status document
// it serves, or why it could not read it.
type shared struct {
	status reconcile.Status
	err    error
}

// followShared refreshes, while the unit stands by, what it serves from
// the shared state: /status (with the leader named), the phase and drift
// metrics, and whether the store can be reached (/readyz: a standby is
// ready when it could take over). It makes no Railway request.
func (u *unit) followShared(ctx context.Context) {
	for {
		if sleepCtx(ctx, followEvery) != nil {
			return
		}
		u.refreshShared(ctx)
	}
}

func (u *unit) refreshShared(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, followEvery)
	defer cancel()
	a, name, now := u.app, u.name, u.c.opts.Now
	prev := u.shared.Load()
	st, err := a.Backend.Load(ctx, name)
	switch {
	case ctx.Err() != nil && err != nil:
		return // stopping, or a slow store: keep what we had
	case err == nil:
	case reachable(a) == nil:
		st = state.New(name, now()) // nothing saved yet (or unreadable: the leader says)
	default:
		next := &shared{err: fmt.Errorf("state backend unreachable: %w", reachable(a))}
		if prev != nil {
			next.status = prev.status
		} else {
			next.status = reconcile.StatusOf(state.New(name, now()))
		}
		u.shared.Store(next)
		return
	}
	s := reconcile.StatusOf(st)
	if h, held, err := a.Locker.Holder(ctx, name); err == nil && held {
		s.Leader, s.LeaseExpires = h.Instance, h.Expires
	}
	u.shared.Store(&shared{status: s})
	u.m.setPhase(st.Phase)
	u.m.setDrift(len(st.Drift))
}

// reachable says why the app's store cannot be reached right now, nil when
// it can (always, for the file store).
func reachable(a *app.App) error {
	if r, ok := a.Backend.(interface{ LastError() error }); ok {
		return r.LastError()
	}
	return nil
}
