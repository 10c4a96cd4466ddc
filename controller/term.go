package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// term is one leadership term of a unit: from the acquisition of its lease
// to its loss, the end of its assignment to this replica, or the shutdown.
// It owns the reconciler of the term, its schedules and its control socket.
type term struct {
	rec   *reconcile.Reconciler
	lease state.Lease
	// ctx is the context of the term's jobs; cancel ends them at once.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	ending   bool
	running  sync.WaitGroup // jobs in flight; Add only under mu while !ending
	requeue  *time.Timer
	requeues int // consecutive requeued passes

	passMu  sync.Mutex // serialises passes (the reconcile and report jobs)
	backoff passBackoff
	cron    *cron.Cron
	jobs    map[string]cron.Job
	entries map[string]cron.EntryID
	anchor  time.Time
	control *controlServer
}

// runTerm leads the unit under lease until the lease is lost, the unit is
// no longer this replica's, or ctx ends: it starts the reconciler from the
// stored state, the manual-command channel and the schedules, and ends
// them in order. It returns an error when the unit could not start (its
// lease is then released).
func (u *unit) runTerm(ctx context.Context, lease state.Lease) error {
	a := u.app
	if err := a.Start(ctx, lease); err != nil {
		return fmt.Errorf("starting the unit: %w", err)
	}
	if a.Loaded.CorruptMovedTo != "" {
		u.log.Warn("state file was corrupt, starting fresh", zap.String("movedTo", a.Loaded.CorruptMovedTo))
	}
	t := &term{rec: a.Reconciler, lease: lease, backoff: passBackoff{log: u.log}}
	t.ctx, t.cancel = context.WithCancel(context.WithoutCancel(ctx))
	u.mu.Lock()
	u.term = t
	u.mu.Unlock()
	u.m.setLeader(true)
	st := t.rec.Status()
	u.m.setPhase(st.Phase)
	u.history.ObservePhase(st.Since, st.Phase, "")
	u.log.Info("leading the unit", zap.String("phase", string(st.Phase)), zap.Int64("epoch", lease.Epoch()))
	if a.Mailbox != nil {
		go u.serveMailbox(t, a.Mailbox)
	} else {
		t.control = u.startControl(t)
	}
	u.c.startSchedules(t, u)

	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	select {
	case <-ctx.Done():
		u.endTerm(t, true)
	case <-lease.Done():
		u.endTerm(t, false)
	case <-u.c.revoked(watchCtx, u):
		u.log.Info("the unit is now another replica's: handing it over")
		u.endTerm(t, true)
	}
	return nil
}

// endTerm stops the term's schedules and waits for its jobs: bounded by
// the shutdown grace when graceful (then the state is saved a last time),
// at once when the lease was lost (the jobs are cancelled: nothing may be
// written any more). It releases the lease and closes the reconciler.
func (u *unit) endTerm(t *term, graceful bool) {
	t.mu.Lock()
	t.ending = true
	if t.requeue != nil {
		t.requeue.Stop()
	}
	t.mu.Unlock()
	t.cron.Stop()
	if !graceful {
		t.cancel()
	}
	shutdown := u.c.opts.ShutdownTimeout
	grace := max(shutdown-1500*time.Millisecond, shutdown/2)
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if t.control != nil {
		t.control.shutdown(graceCtx)
	}
	if !waitFor(graceCtx, &t.running) {
		u.log.Warn("actions still in flight at the shutdown deadline, cancelling them")
		t.cancel()
		cutCtx, cut := context.WithTimeout(context.Background(), time.Second)
		waitFor(cutCtx, &t.running)
		cut()
	}
	t.cancel()
	if graceful {
		if err := t.rec.Update(nil); err != nil {
			u.log.Error("persisting the state at shutdown failed", zap.Error(err))
		}
	}
	u.mu.Lock()
	u.term = nil
	u.mu.Unlock()
	u.m.setLeader(false)
	u.app.Stop()
}

// enter counts a job in flight in t, unless the term is ending.
func (t *term) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ending {
		return false
	}
	t.running.Add(1)
	return true
}

func (u *unit) setStretched(iv time.Duration) { u.stretched.Store(int64(iv)) }

// stretchedInterval is the unit's reconcile interval when the budget
// stretched it, else 0.
func (u *unit) stretchedInterval() time.Duration { return time.Duration(u.stretched.Load()) }
