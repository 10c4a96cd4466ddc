package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// term is one leadership term of the unit: from the acquisition of its
// lease to its loss or the shutdown. It owns the reconciler of the term,
// its schedules and its control socket.
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

// runTerm leads the unit under lease until the lease is lost or ctx ends:
// it starts the reconciler from the stored state, the control socket and
// the schedules, and ends them in order. It returns an error when the unit
// could not start (its lease is then released).
func (c *Controller) runTerm(ctx context.Context, a *app.App, lease state.Lease) error {
	if err := a.Start(ctx, lease); err != nil {
		return fmt.Errorf("starting the unit: %w", err)
	}
	if a.Loaded.CorruptMovedTo != "" {
		c.log.Warn("state file was corrupt, starting fresh", zap.String("movedTo", a.Loaded.CorruptMovedTo))
	}
	t := &term{rec: a.Reconciler, lease: lease, backoff: passBackoff{log: c.log}}
	t.ctx, t.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c.mu.Lock()
	c.term = t
	c.mu.Unlock()
	c.m.setLeader(true)
	st := t.rec.Status()
	phase := st.Phase
	c.m.setPhase(phase)
	c.history.ObservePhase(st.Since, phase, "")
	c.log.Info("leading the unit", zap.String("name", c.Spec().Name), zap.String("phase", string(phase)),
		zap.Int64("epoch", lease.Epoch()))
	if a.Mailbox != nil {
		go c.serveMailbox(t, a.Mailbox, c.Spec().Name)
	} else {
		t.control = c.startControl(t)
	}
	c.startSchedules(t)

	select {
	case <-ctx.Done():
		c.endTerm(t, true)
	case <-lease.Done():
		c.endTerm(t, false)
	}
	return nil
}

// endTerm stops the term's schedules and waits for its jobs: bounded by
// the shutdown grace when graceful (then the state is saved a last time),
// at once when the lease was lost (the jobs are cancelled: nothing may be
// written any more). It releases the lease and closes the reconciler.
func (c *Controller) endTerm(t *term, graceful bool) {
	if graceful {
		c.log.Info("shutting down: finishing the actions in flight")
	}
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
	grace := max(c.opts.ShutdownTimeout-1500*time.Millisecond, c.opts.ShutdownTimeout/2)
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if t.control != nil {
		t.control.shutdown(graceCtx)
	}
	if !waitFor(graceCtx, &t.running) {
		c.log.Warn("actions still in flight at the shutdown deadline, cancelling them")
		t.cancel()
		cutCtx, cut := context.WithTimeout(context.Background(), time.Second)
		waitFor(cutCtx, &t.running)
		cut()
	}
	t.cancel()
	if graceful {
		if err := t.rec.Update(nil); err != nil {
			c.log.Error("persisting the state at shutdown failed", zap.Error(err))
		}
	}
	c.mu.Lock()
	c.term = nil
	c.mu.Unlock()
	c.m.setLeader(false)
	c.currentApp().Stop()
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
