package report

import (
	"time"

	"github.com/smartlic/reconciler/state"
)

// Notification defaults.
const (
	// DefaultDegradedGrace is how long a Degraded event is held back: a
	// Recovered within it (and no rollback) cancels both.
	DefaultDegradedGrace = time.Minute
	// DefaultMinInterval is the least time between two messages of a
	// rate-limited event type.
	DefaultMinInterval = 15 * time.Minute
)

// dedupeMemory is how many recent events are remembered to drop exact
// repeats.
const dedupeMemory = 32

// outgoing is an event the policy decided to send, with how many events of
// its type were suppressed since the last one sent.
type outgoing struct {
	event      state.Event
	suppressed int
}

// critical reports whether a message may never be dropped from a full
// queue: rollbacks, holds and the recoveries that must follow them. The
// health machine's flap guard bounds how many there are.
func (o outgoing) critical() bool {
	switch o.event.Type {
	case state.EventRolledBack, state.EventHeld, state.EventRolledForward, state.EventRecovered:
		return true
	}
	return false
}

type eventKey struct {
	at        time.Time
	typ, text string
}

// policy decides which events become messages (docs/report.md,
// "Notifications"). It keys time on the events' own timestamps, so it is
// deterministic; only the Degraded grace runs on a timer (the Notifier's).
type policy struct {
	interval time.Duration

	// pending is a Degraded held back for the grace; gen identifies it.
	pending *state.Event
	gen     int
	// degradedSent: a Degraded message went out and its recovery has not.
	degradedSent bool

	last       map[string]time.Time
	suppressed map[string]int
	recent     []eventKey
}

func newPolicy(interval time.Duration) *policy {
	return &policy{interval: interval, last: map[string]time.Time{}, suppressed: map[string]int{}}
}

// decide returns the messages e causes now, and the generation of a
// Degraded now held back (0 if none): call expire(gen) after the grace.
func (p *policy) decide(e state.Event) ([]outgoing, int) {
	if p.repeated(e) {
		return nil, 0
	}
	switch e.Type {
	case state.EventDegraded:
		if p.pending != nil || p.degradedSent {
			return nil, 0
		}
		p.pending, p.gen = &e, p.gen+1
		return nil, p.gen
	case state.EventRecovered:
		return p.recovered(e), 0
	case state.EventRolledBack, state.EventHeld:
		// The rollback supersedes the degradation: its reason says it all.
		p.pending, p.degradedSent = nil, false
		return []outgoing{{event: e}}, 0
	case state.EventRolledForward, state.EventAddonCreated:
		return []outgoing{{event: e}}, 0
	case state.EventVariablesCorrected, state.EventAddonCreateFailed, state.EventAddonCreateRetry, state.EventDeployFailed:
		return p.limited(e), 0
	}
	return nil, 0
}

// recovered sends a recovery only for a Degraded message that went out; a
// Degraded still held back is cancelled with it (a blip).
func (p *policy) recovered(e state.Event) []outgoing {
	switch {
	case p.pending != nil:
		p.pending = nil
		return nil
	case p.degradedSent:
		p.degradedSent = false
		return []outgoing{{event: e}}
	}
	return nil
}

// expire sends the Degraded of generation gen if it is still held back.
func (p *policy) expire(gen int) []outgoing {
	if p.pending == nil || p.gen != gen {
		return nil
	}
	return p.flush()
}

// flush sends a held-back Degraded now (the grace ran out, or shutdown).
func (p *policy) flush() []outgoing {
	if p.pending == nil {
		return nil
	}
	e := *p.pending
	p.pending = nil
	out := p.limited(e)
	p.degradedSent = len(out) > 0
	return out
}

// limited sends e unless a message of its type went out less than interval
// before it; suppressed events are counted into the next message.
func (p *policy) limited(e state.Event) []outgoing {
	if last, ok := p.last[e.Type]; ok && e.At.Sub(last) < p.interval {
		p.suppressed[e.Type]++
		return nil
	}
	p.last[e.Type] = e.At
	n := p.suppressed[e.Type]
	delete(p.suppressed, e.Type)
	return []outgoing{{event: e, suppressed: n}}
}

// repeated reports whether e was seen already (an exact repeat), and
// remembers it.
func (p *policy) repeated(e state.Event) bool {
	k := eventKey{at: e.At.UTC(), typ: e.Type, text: e.Message}
	for _, r := range p.recent {
		if r == k {
			return true
		}
	}
	if len(p.recent) == dedupeMemory {
		p.recent = p.recent[1:]
	}
	p.recent = append(p.recent, k)
	return false
}
