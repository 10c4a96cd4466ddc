package controller

import (
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/spec"
)

// jitterFraction is the reconcile schedule's jitter: ±10% of its period.
const jitterFraction = 0.1

// grid fires on a fixed grid anchored at a start time: the first
// anchor + k·d after t. Unlike cron.ConstantDelaySchedule it keeps
// sub-second intervals and never drifts by the lateness of a timer, so
// rounds stay exactly one interval apart.
type grid struct {
	anchor time.Time
	d      time.Duration
}

// Next returns the first grid point strictly after t.
func (g grid) Next(t time.Time) time.Time {
	if t.Before(g.anchor) {
		return g.anchor
	}
	k := t.Sub(g.anchor)/g.d + 1
	return g.anchor.Add(k * g.d)
}

// jittered moves each activation of base by a uniform offset within
// ±frac of base's period. It remembers the last activation it moved, so an
// early run (negative offset) never fires twice for one activation. Not a
// pure function, so one jittered serves one cron entry.
type jittered struct {
	base cron.Schedule
	frac float64
	rand func() float64 // uniform in [0, 1)

	mu     sync.Mutex
	target time.Time // the last unjittered activation handed out
}

// Next returns base's next activation after t (and after the previous
// one), moved by the jitter, and never at or before t.
func (j *jittered) Next(t time.Time) time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	from := t
	if j.target.After(from) {
		from = j.target
	}
	n := j.base.Next(from)
	if n.IsZero() {
		return n // never fires again
	}
	j.target = n
	period := j.base.Next(n).Sub(n)
	off := time.Duration((2*j.rand() - 1) * j.frac * float64(period))
	if out := n.Add(off); out.After(t) {
		return out
	}
	return n
}

// scheduleOf returns the cron schedule of c: a grid anchored at anchor for
// an "@every" interval, else the parsed expression.
func scheduleOf(c spec.Cron, anchor time.Time) cron.Schedule {
	if c.Every > 0 {
		return grid{anchor: anchor, d: c.Every}
	}
	return c.Schedule
}

// period estimates the interval between two activations of c after t.
func period(c spec.Cron, t time.Time) time.Duration {
	if c.Every > 0 {
		return c.Every
	}
	n := c.Schedule.Next(t)
	if n.IsZero() {
		return 0
	}
	return c.Schedule.Next(n).Sub(n)
}

// sameCron reports whether two schedules fire alike.
func sameCron(a, b spec.Cron) bool { return a.Expr == b.Expr && a.Every == b.Every }

// cronLogger adapts zap to cron.Logger. cron's routine chatter (start,
// wake, run, schedule) goes to debug; a skipped run (the previous one still
// going) is worth an info line; a recovered panic is an error.
type cronLogger struct{ log *zap.Logger }

// Info implements cron.Logger.
func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" {
		l.log.Info("previous run still in progress, skipping this one")
		return
	}
	if ce := l.log.Check(zap.DebugLevel, "cron"); ce != nil {
		ce.Write(zap.String("event", msg), zap.String("details", fmt.Sprint(kv...)))
	}
}

// Error implements cron.Logger.
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron job failed", zap.String("event", msg), zap.Error(err), zap.String("details", fmt.Sprint(kv...)))
}
