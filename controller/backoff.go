package controller

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/reconcile"
)

// Backoff of reconcile passes after a permanent error (a token Railway
// refuses, an unknown project or environment, a token of the wrong scope):
// retrying every tick cannot help, and spends the request budget.
const (
	permanentBackoffFirst = time.Minute
	permanentBackoffMax   = 10 * time.Minute
)

// passBackoff spaces the passes of a term out after permanent errors:
// from permanentBackoffFirst, doubling to permanentBackoffMax. Probe rounds
// are not affected (a rollback that falls due is still attempted), and a
// spec reload or SIGHUP clears it.
type passBackoff struct {
	log *zap.Logger

	mu    sync.Mutex
	step  time.Duration
	until time.Time
	last  string // the error backed off from, logged once per change
	gen   uint64 // counts resets: a pass begun before one does not back off
}

// generation returns the reset count, to hand back to record.
func (b *passBackoff) generation() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.gen
}

// skip reports whether a pass due at now must wait.
func (b *passBackoff) skip(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return now.Before(b.until)
}

// record folds the outcome of a pass begun at generation gen in, logging
// only changes. A pass that a reset (a reload, SIGHUP) overtook does not
// back off: the person asked for an attempt after it.
func (b *passBackoff) record(res *reconcile.Result, now time.Time, gen uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen {
		return
	}
	if res.Err == nil || reconcile.Classify(res.Err) != reconcile.ClassPermanent {
		if b.step > 0 {
			b.log.Info("railway accepts the passes again: backoff cleared")
		}
		b.step, b.until, b.last = 0, time.Time{}, ""
		return
	}
	b.step = min(max(b.step*2, permanentBackoffFirst), permanentBackoffMax)
	b.until = now.Add(b.step)
	if msg := res.Err.Error(); msg != b.last {
		b.last = msg
		b.log.Warn("reconcile pass failed permanently: backing off until the spec, the token or the project changes",
			zap.Error(res.Err), zap.Duration("next", b.step), zap.Time("nextAt", b.until))
	}
}

// reset clears the backoff (a reload, SIGHUP): the next pass goes at once.
func (b *passBackoff) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.step, b.until, b.last = 0, time.Time{}, ""
	b.gen++
}
