package controller

import (
	"context"
	"errors"
	"strings"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// serveMailbox carries out the manual commands (rollback, rollforward)
// posted to the shared store by `reconciler rollback` and `rollforward`
// from any machine, for as long as term t leads: those already pending at
// once, later ones when the store wakes it (LISTEN/NOTIFY, or its fallback
// poll). Each answer is fenced like a save.
func (u *unit) serveMailbox(t *term, mb state.Mailbox) {
	wake := mb.Wake(t.ctx, u.name)
	for {
		u.answerPending(t, mb)
		select {
		case <-t.ctx.Done():
			return
		case _, ok := <-wake:
			if !ok {
				return
			}
		}
	}
}

func (u *unit) answerPending(t *term, mb state.Mailbox) {
	reqs, err := mb.Pending(t.ctx, u.name)
	if err != nil {
		if t.ctx.Err() == nil {
			u.log.Warn("reading the manual commands posted to the shared store failed", zap.Error(err))
		}
		return
	}
	for _, r := range reqs {
		if !t.enter() {
			return
		}
		resp := u.carryOutRequest(t, r)
		if err := mb.Answer(t.ctx, t.lease, r.ID, resp); err != nil {
			u.log.Warn("answering a manual command failed", zap.String("action", r.Action), zap.Error(err))
		}
		t.running.Done()
	}
}

// carryOutRequest runs one posted command on the term's reconciler.
func (u *unit) carryOutRequest(t *term, r state.Request) state.Response {
	c := u.c
	ctx, cancel := context.WithTimeout(t.ctx, controlTimeout)
	defer cancel()
	var err error
	switch r.Action {
	case state.RequestRollback:
		reason := strings.TrimSpace(r.Reason)
		if reason == "" {
			return state.Response{Message: "a rollback needs a reason", At: c.opts.Now().UTC()}
		}
		u.log.Info("manual rollback requested", zap.String("reason", reason), zap.String("by", r.By))
		err = t.rec.Rollback(ctx, reason)
	case state.RequestRollForward:
		u.log.Info("manual roll forward requested", zap.String("by", r.By))
		err = t.rec.RollForward(ctx)
	default:
		return state.Response{Message: "unknown action " + r.Action, At: c.opts.Now().UTC()}
	}
	resp := state.Response{OK: err == nil, Phase: t.rec.Status().Phase, At: c.opts.Now().UTC()}
	switch {
	case errors.Is(err, reconcile.ErrNothingToRollForward):
		resp.OK, resp.Nothing, resp.Message = true, true, err.Error()
	case err != nil:
		resp.Message = err.Error()
	default:
		resp.Message = r.Action + " done"
	}
	return resp
}
