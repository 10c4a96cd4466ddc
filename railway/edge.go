package railway

import (
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Edge backoff: after an edge block (HTTP 429 without Retry-After, body
// "error code: 1015"), one attempt per interval, the interval starting at
// EdgeMinBackoff and doubling per further block up to EdgeMaxBackoff.
const (
	EdgeMinBackoff = time.Minute
	EdgeMaxBackoff = time.Hour
)

// EdgeBlockedError means Cloudflare's edge in front of Railway is blocking
// this client: an HTTP 429 without Retry-After (the body says "error code:
// 1015"; no X-RateLimit-* headers). Hammering such a block prolongs it, so
// the whole client then sends one attempt per interval (see EdgeMinBackoff)
// and fails every other call at once, without touching the network, with
// this error. Until is when the next attempt may go out. It is transient.
type EdgeBlockedError struct {
	Op    string
	Until time.Time
	// Sent is true for the 429 answer itself, false when the client refused
	// the call without sending it.
	Sent bool
}

// Error implements error.
func (e *EdgeBlockedError) Error() string {
	return fmt.Sprintf("railway %s: blocked by Cloudflare's edge in front of Railway (HTTP 429, error code 1015, no Retry-After); next attempt at %s",
		e.Op, e.Until.UTC().Format(time.RFC3339))
}

// edgeGate is the client-wide edge block. While blocked, one attempt (the
// probe) may go out per interval; every other attempt is refused. gen counts
// backoff steps, so that answers to attempts admitted before the current
// step neither extend nor clear the block.
type edgeGate struct {
	mu       sync.Mutex
	until    time.Time
	interval time.Duration
	probing  bool
	gen      int64
	blocks   int64
}

// edgeTicket is an admitted attempt: the step it was admitted at and
// whether it is the interval's probe.
type edgeTicket struct {
	gen   int64
	probe bool
}

// admit lets an attempt through, or returns when the next one may go.
func (g *edgeGate) admit(now time.Time) (edgeTicket, time.Time, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.interval == 0 {
		return edgeTicket{gen: g.gen}, time.Time{}, true
	}
	if now.Before(g.until) || g.probing {
		return edgeTicket{}, g.until, false
	}
	g.probing = true
	return edgeTicket{gen: g.gen, probe: true}, time.Time{}, true
}

// blocked records an edge-block answer. It steps the backoff (first 60s,
// then doubling to 1h) unless the attempt predates the current step, and
// returns when the next attempt may go and whether this was a new step.
func (g *edgeGate) blocked(t edgeTicket, now time.Time) (time.Time, time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.probe {
		g.probing = false
	}
	if t.gen != g.gen {
		return g.until, g.interval, false
	}
	g.interval = min(max(2*g.interval, EdgeMinBackoff), EdgeMaxBackoff)
	g.until = now.Add(g.interval)
	g.gen++
	g.blocks++
	return g.until, g.interval, true
}

// passed records an answer from beyond the edge: a probe's (or an attempt
// admitted at the current step) clears the block. It returns the interval
// that was cleared, 0 when nothing was.
func (g *edgeGate) passed(t edgeTicket) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.probe {
		g.probing = false
	}
	if t.gen != g.gen || g.interval == 0 {
		return 0
	}
	cleared := g.interval
	g.interval, g.until = 0, time.Time{}
	g.gen++
	return cleared
}

// noAnswer records a probe that got no HTTP answer (a network failure or a
// timeout): the interval's attempt is used, so the same interval starts
// again.
func (g *edgeGate) noAnswer(t edgeTicket, now time.Time) {
	if !t.probe {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.probing = false
	if t.gen == g.gen && g.interval > 0 {
		g.until = now.Add(g.interval)
	}
}

func (g *edgeGate) snapshot() (time.Time, time.Duration, int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until, g.interval, g.blocks
}

// edgeAdmit refuses an attempt during an edge block.
func (c *Client) edgeAdmit(op string) (edgeTicket, error) {
	t, until, ok := c.edge.admit(c.now())
	if ok {
		return t, nil
	}
	err := &EdgeBlockedError{Op: op, Until: until}
	if c.onRequest != nil {
		c.onRequest(op, resultLabel(err))
	}
	return t, err
}

// edgeOutcome feeds an attempt's outcome to the gate and logs one line per
// backoff step and one when the block lifts. err is the classified error
// (nil on success); answered says whether an HTTP answer arrived.
func (c *Client) edgeOutcome(t edgeTicket, err error, answered bool) error {
	eb, isEdge := err.(*EdgeBlockedError)
	switch {
	case isEdge:
		until, interval, step := c.edge.blocked(t, c.now())
		eb.Until, eb.Sent = until, true
		if step {
			c.log.Warn("Railway's edge is blocking this client (HTTP 429, error code 1015, no Retry-After): one attempt per interval until it lifts",
				zap.String("op", eb.Op), zap.Duration("interval", interval), zap.Time("next", until))
		}
	case answered:
		if cleared := c.edge.passed(t); cleared > 0 {
			c.log.Info("Railway's edge block lifted", zap.Duration("lastInterval", cleared))
		}
	default:
		c.edge.noAnswer(t, c.now())
	}
	return err
}

// release returns an admitted attempt that was not sent.
func (g *edgeGate) release(t edgeTicket) {
	if !t.probe {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.probing = false
}
