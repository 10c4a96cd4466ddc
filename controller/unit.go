package controller

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/statuspage"
)

// retryStart is how long a unit waits before trying again to lead after
// it could not start (its state could not be loaded).
const retryStart = 10 * time.Second

// unit is one managed unit: one spec in one environment (its name is the
// spec's, or NAME/ENV for a spec that generates units per environment).
// It has its own reconciler while it leads, its own schedules, notifier,
// metrics and status-page history, and stands by while another process
// holds its lock or lease.
type unit struct {
	c        *Controller
	name     string
	specName string
	log      *zap.Logger
	m        *unitMetrics
	history  *statuspage.History

	mu       sync.Mutex
	sp       *spec.Spec // the unit's spec: the last valid one
	specErrs []string   // the problems of the last rejected reload of its file
	app      *app.App
	term     *term // the leadership term in progress; nil while standby

	// observed: one Railway observation succeeded in this process (/readyz
	// stays ready after a later failure).
	observed atomic.Bool
	// shared is what a standby serves, read from the shared state.
	shared   atomic.Pointer[shared]
	sinks    atomic.Pointer[report.Sinks]
	notifier atomic.Pointer[report.Notifier]
	// stretched is the reconcile interval when the Railway budget cannot
	// cover every unit's schedule (0: the spec's schedule).
	stretched atomic.Int64 // time.Duration

	stop context.CancelFunc
	done chan struct{}
}

// newUnit wires a unit of sp (named sp.Name) without taking its lease.
func (c *Controller) newUnit(ctx context.Context, sp *spec.Spec, specName string) (*unit, error) {
	u := &unit{c: c, name: sp.Name, specName: specName, sp: sp, history: &statuspage.History{},
		log: c.log.With(zap.String("unit", sp.Name))}
	u.m = c.m.units.forUnit(u.name, specName)
	u.m.initChecks(sp)
	if err := u.startReporting(sp); err != nil {
		u.m.delete()
		return nil, err
	}
	a, err := c.opts.Build(ctx, app.Options{
		Spec: sp, LookupEnv: c.opts.LookupEnv, Logger: c.opts.Logger, Version: c.opts.Version,
		Store: app.StoreStandby, Command: c.opts.Command, Hooks: u.hooks(), OnRequest: c.onRequest,
		HTTPClient: c.opts.HTTPClient, Now: c.opts.Now, Instance: state.InstanceID(),
		Railway: c.clientFor(sp), Observer: c.observer(sp), SharedStore: c.infra.store,
		Siblings: func() []string { return c.siblings(u) },
	})
	if err != nil {
		u.closeNotifier(time.Second)
		u.m.delete()
		return nil, err
	}
	u.app = a
	return u, nil
}

// start runs the unit until stop.
func (u *unit) start(ctx context.Context) {
	ctx, u.stop = context.WithCancel(ctx)
	u.done = make(chan struct{})
	go func() {
		defer close(u.done)
		if err := u.lead(ctx); err != nil {
			u.c.fatal(err)
		}
	}()
}

// shutdown ends the unit's term (finishing its actions in flight, saving
// its state), releases everything it holds and deletes its series.
func (u *unit) shutdown(deadline time.Time, removed bool) {
	if u.stop != nil {
		u.stop()
		<-u.done
	}
	u.closeNotifier(max(time.Until(deadline), 100*time.Millisecond))
	u.app.Close()
	if removed {
		u.m.delete()
	}
}

// lead alternates standby and leadership until ctx ends: it waits for the
// unit's lease, leads while it holds it, and waits again when it loses it.
// It returns a fatal error (a state this build must not touch).
func (u *unit) lead(ctx context.Context) error {
	for {
		u.refreshShared(ctx) // serve the shared state at once
		followCtx, stopFollowing := context.WithCancel(ctx)
		go u.followShared(followCtx)
		lease, err := u.c.acquire(ctx, u)
		stopFollowing()
		if err != nil {
			return nil // ctx ended while standing by
		}
		err = u.runTerm(ctx, lease)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, state.ErrNewerState):
			return err
		case err != nil:
			u.log.Error("cannot lead this unit; trying again", zap.Error(err), zap.Duration("in", retryStart))
			if sleepCtx(ctx, retryStart) != nil {
				return nil
			}
		default:
			if lerr := lease.Err(); lerr != nil {
				u.log.Warn("lease lost: acting stopped, standing by", zap.Error(lerr))
			}
		}
	}
}

// hooks feed the unit's metrics, history and notifier; they run on the
// reconciler's owner goroutine and only touch memory or a queue.
func (u *unit) hooks() reconcile.Hooks {
	return reconcile.Hooks{
		Event: func(e state.Event) {
			u.m.event(e)
			if n := u.notifier.Load(); n != nil {
				n.Notify(e)
			}
		},
		Phase: func(_, to state.Phase, reason string) {
			u.m.setPhase(to)
			u.history.ObservePhase(u.c.opts.Now(), to, reason)
		},
		Round: func(r probes.Round) {
			u.m.round(r)
			u.history.ObserveProbeRound(r)
		},
		Pass: func(result string, drift int) {
			u.m.pass(result, drift, float64(u.c.opts.Now().UnixNano())/1e9)
		},
	}
}

// Spec returns the unit's spec: the last valid one.
func (u *unit) Spec() *spec.Spec {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.sp
}

// currentTerm returns the leadership term in progress, nil while standby.
func (u *unit) currentTerm() *term {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.term
}

// setSpec applies a valid edit of the unit's spec (live reload).
func (u *unit) setSpec(sp *spec.Spec) {
	u.mu.Lock()
	old, t := u.sp, u.term
	u.sp, u.specErrs = sp, nil
	u.mu.Unlock()
	u.app.SetSpec(sp) // the reconciler of this term and of the next ones
	u.m.setSpecValid(true)
	u.m.initChecks(sp)
	if t != nil {
		u.c.reschedule(t, u, old, sp)
		t.backoff.reset() // the fix may be in this edit: try at once
	}
	u.c.warnSlowRounds(sp)
	u.reloadReporting(old, sp)
}

// reject records that the unit's file was edited into an invalid spec.
func (u *unit) reject(lines []string) {
	u.mu.Lock()
	u.specErrs = lines
	u.mu.Unlock()
	u.m.setSpecValid(false)
}

// retry clears the unit's pass backoff (SIGHUP: a person asks for an
// attempt now).
func (u *unit) retry() {
	if t := u.currentTerm(); t != nil {
		t.backoff.reset()
	}
}
