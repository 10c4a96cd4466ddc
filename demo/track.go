package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/smartlic/reconciler/state"
)

// ErrStuck is returned by Run when a step of the story does not happen
// before its deadline.
var ErrStuck = errors.New("demo: a step did not happen in time")

// pollEvery is how often a wait re-checks conditions that no hook
// announces (the app's health, the simulator's variables).
const pollEvery = 100 * time.Millisecond

// tracker follows the controller through its hooks: the phase, the phases
// seen, the events, and a broadcast channel closed at every change so that
// waits wake at once.
type tracker struct {
	mu      sync.Mutex
	phase   state.Phase
	phases  []state.Phase
	events  []state.Event
	okPass  int // passes that ended "ok" (in sync, nothing to do)
	changed chan struct{}
}

func newTracker() *tracker {
	return &tracker{phase: state.Pending, phases: []state.Phase{state.Pending}, changed: make(chan struct{})}
}

// setPhase records a phase change.
func (t *tracker) setPhase(p state.Phase) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p == t.phase {
		return
	}
	t.phase = p
	t.phases = append(t.phases, p)
	t.kick()
}

// event records an event.
func (t *tracker) event(e state.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, e)
	t.kick()
}

// pass records the result of a reconcile pass.
func (t *tracker) pass(result string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if result == "ok" {
		t.okPass++
	}
	t.kick()
}

// okPasses is the number of passes that ended in sync.
func (t *tracker) okPasses() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.okPass
}

// poke wakes the waits (something they may look at changed).
func (t *tracker) poke() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.kick()
}

// kick closes the broadcast channel; call with mu held.
func (t *tracker) kick() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// Phase is the current phase.
func (t *tracker) Phase() state.Phase {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.phase
}

// Phases are the phases seen, in order, without repeats.
func (t *tracker) Phases() []state.Phase {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.phases)
}

// seen reports whether an event of this type was recorded.
func (t *tracker) seen(typ string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.ContainsFunc(t.events, func(e state.Event) bool { return e.Type == typ })
}

func (t *tracker) wake() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changed
}

// waitFor returns once cond holds, checking it at every change and every
// pollEvery, or fails with ErrStuck after timeout (what names the step).
func (t *tracker) waitFor(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		wake := t.wake()
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("%w: %s: not done after %s (phase %s)", ErrStuck, what, timeout, t.Phase())
		case <-wake:
		case <-tick.C:
		}
	}
}
