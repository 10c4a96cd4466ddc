package reconcile_test

import (
	"math/rand/v2"
	"time"

	"github.com/smartlic/reconciler/reconcile"
)

// runSim drives a reconciler the way `reconciler run` does, on the env's
// manual clock, so that minutes of a running controller take milliseconds:
// a probe round on a fixed grid every probe interval; a pass every
// reconcile interval moved by up to ±10% (the controller's jitter, drawn
// from a seeded generator); a follow-up pass a quarter of the reconcile
// interval later while a pass acted, was interrupted or waits for
// something (at most maxRequeues in a row). Passes carry no probe round,
// as in `run`. Calls run one after the other; time a call spends (the
// client's retry waits advance the same clock) delays the next ones, as
// it would in real time.
type runSim struct {
	e                *env
	rng              *rand.Rand
	probe, reconcile time.Duration
	anchor           time.Time
	nextRound        time.Time
	nextGrid         time.Time // the reconcile schedule's next activation
	gridK            int64
	requeue          time.Time // a follow-up pass (zero: none)
	requeues         int
	// beforeRound and afterPass, when set, are called around the calls
	// (to change the world at a chosen time, or to record what happened).
	beforeRound func(now time.Time)
	afterPass   func(res *reconcile.Result)
	// skipPass, when set, may skip a due pass (the controller's backoff).
	skipPass func(now time.Time) bool
	passes   int
	rounds   int
	last     *reconcile.Result // the last pass's
}

const (
	simJitter      = 0.1
	simMaxRequeues = 30 // controller.maxRequeues
)

// newRunSim starts the schedules at the clock's present, with the spec's
// defaults (probe every 5 s, reconcile every minute) unless changed after.
// As `run` does, the first pass and the first round are due at once.
func newRunSim(e *env, seed uint64) *runSim {
	now := e.clock.Now()
	return &runSim{e: e, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), probe: 5 * time.Second, reconcile: time.Minute,
		anchor: now, nextRound: now, nextGrid: now}
}

// restart replaces the process: a new reconciler from the saved state,
// whose schedules start over (its first pass and round are due at once).
func (s *runSim) restart() {
	s.e.open(nil)
	now := s.e.clock.Now()
	s.anchor, s.nextRound, s.nextGrid, s.gridK = now, now, now, 0
	s.requeue, s.requeues = time.Time{}, 0
}

// until runs the schedules up to (not including) t.
func (s *runSim) until(t time.Time) {
	for {
		now := s.e.clock.Now()
		if !now.Before(t) {
			return
		}
		if !now.Before(s.nextPass()) {
			s.pass(now)
		}
		if now = s.e.clock.Now(); !now.Before(s.nextRound) {
			s.round(now)
		}
		next := earliest(s.nextRound, s.nextPass(), t)
		if now = s.e.clock.Now(); next.After(now) {
			s.e.clock.Advance(next.Sub(now))
		}
	}
}

// run runs the schedules for d from now.
func (s *runSim) run(d time.Duration) { s.until(s.e.clock.Now().Add(d)) }

func (s *runSim) round(now time.Time) {
	if s.beforeRound != nil {
		s.beforeRound(now)
	}
	_, _ = s.e.rec.Round(s.e.t.Context()) // a failed write is retried next round, as in run
	s.rounds++
	// The grid point after the present (a slow round skips the ones it
	// overran, as cron's SkipIfStillRunning does).
	after := s.e.clock.Now()
	k := after.Sub(s.anchor)/s.probe + 1
	s.nextRound = s.anchor.Add(k * s.probe)
}

func (s *runSim) pass(now time.Time) {
	if !now.Before(s.nextGrid) {
		s.nextGrid = s.jittered(now)
	}
	s.requeue = time.Time{}
	if s.skipPass != nil && s.skipPass(now) {
		return
	}
	res := s.e.rec.Pass(s.e.t.Context(), reconcile.PassOptions{})
	s.passes++
	s.last = res
	if s.afterPass != nil {
		s.afterPass(res)
	}
	busy := res.Err == nil && (res.Acted > 0 || res.Interrupted || len(res.Plan.Waiting) > 0)
	if !busy {
		s.requeues = 0
		return
	}
	if s.requeues < simMaxRequeues {
		s.requeues++
		s.requeue = s.e.clock.Now().Add(s.reconcile / 4)
	}
}

// nextPass is when the next pass is due: the reconcile schedule's next
// activation, or a requeue before it.
func (s *runSim) nextPass() time.Time {
	if !s.requeue.IsZero() && s.requeue.Before(s.nextGrid) {
		return s.requeue
	}
	return s.nextGrid
}

// jittered is the reconcile schedule's first activation after now: the
// next point of the grid anchored at the start, moved by the jitter.
func (s *runSim) jittered(now time.Time) time.Time {
	for {
		s.gridK++
		at := s.anchor.Add(time.Duration(s.gridK) * s.reconcile)
		off := time.Duration((2*s.rng.Float64() - 1) * simJitter * float64(s.reconcile))
		if at = at.Add(off); at.After(now) {
			return at
		}
	}
}

func earliest(ts ...time.Time) time.Time {
	out := ts[0]
	for _, t := range ts[1:] {
		if t.Before(out) {
			out = t
		}
	}
	return out
}
