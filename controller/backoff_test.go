package controller

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/reconcile"
)

// After a permanent error, passes back off from 1 min doubling to 10 min,
// with one log line per change of error, not per tick; a success or a
// reset clears it.
func TestPermanentErrorsBackOff(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	b := passBackoff{log: zap.New(core)}
	denied := &reconcile.Result{Err: fmtErr(railway.ErrUnauthorized)}
	now := t0
	var steps []time.Duration
	for range 7 {
		if b.skip(now) {
			t.Fatalf("a pass was skipped at %v, after the backoff ended", now)
		}
		b.record(denied, now, b.generation())
		steps = append(steps, b.until.Sub(now))
		if !b.skip(now.Add(b.until.Sub(now) - time.Second)) {
			t.Fatal("a pass within the backoff was not skipped")
		}
		now = b.until
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for i := range want {
		if steps[i] != want[i] {
			t.Fatalf("backoff steps %v, want %v", steps, want)
		}
	}
	if n := logs.FilterMessage("reconcile pass failed permanently: backing off until the spec, the token or the project changes").Len(); n != 1 {
		t.Errorf("%d backoff lines for one unchanged error, want 1", n)
	}
	b.reset()
	if b.skip(now) {
		t.Error("a reset (reload, SIGHUP) did not clear the backoff")
	}
	b.record(denied, now, b.generation())
	b.record(&reconcile.Result{}, now, b.generation())
	if b.skip(now) || logs.FilterMessage("railway accepts the passes again: backoff cleared").Len() != 1 {
		t.Error("a successful pass did not clear the backoff once")
	}
	b.record(&reconcile.Result{Err: errors.New("HTTP 503")}, now, b.generation())
	if b.skip(now) {
		t.Error("a transient error backed off like a permanent one")
	}
	// A pass a reset overtook (SIGHUP while it was in flight) does not
	// back off: the person asked for an attempt after it began.
	gen := b.generation()
	b.reset()
	b.record(denied, now, gen)
	if b.skip(now) {
		t.Error("a pass begun before a reset backed off")
	}
}

func fmtErr(err error) error { return errors.Join(errors.New("observing railway"), err) }
