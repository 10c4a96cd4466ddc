package railway

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// maxAdmittedLog bounds the admission log while no budget (or a budget
// below it) is in force; a larger budget keeps as many entries as it allows.
const maxAdmittedLog = 1 << 16

// budget is the client-side request budget, shared by every call of a
// Client (and so by every unit of a fleet that shares the client's token).
// Its size n is the configured budget (Options.MaxRequestsPerHour, then
// SetMaxRequestsPerHour), lowered to Railway's X-RateLimit-Limit when that is
// lower; a configured 0 means no client-side budget. Two mechanisms hold it:
//
//   - a token bucket (burst max(1, min(20, n/10)), refilled with n-burst an
//     hour) spreads the requests out instead of letting n go at once;
//   - a log of the admission times of the last hour makes the limit exact
//     across resizes: a request is admitted only when fewer than n were
//     admitted in the hour before it. Lowering n thus never lets an hour hold
//     more than the new n, counting the requests already sent, and raising it
//     refunds nothing: the bucket keeps the tokens it had.
//
// The log records even while no budget is in force, so that a budget set
// later counts the requests already sent.
type budget struct {
	mu         sync.Mutex
	configured int
	railway    int           // the last X-RateLimit-Limit seen; 0: unknown
	applied    int           // the size in force; 0: none
	limiter    *rate.Limiter // nil until a budget first applies
	admitted   []time.Time   // ascending: the last hour, and reserved future slots
}

// configure sets the configured budget (0: none).
func (b *budget) configure(n int, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.configured = n
	b.apply(now)
}

// follow records Railway's X-RateLimit-Limit.
func (b *budget) follow(limit int, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.railway = limit
	b.apply(now)
}

// apply resizes the bucket to min(configured, railway) when that changed.
// The bucket keeps its tokens: spent ones stay spent.
func (b *budget) apply(now time.Time) {
	n := b.configured
	if n > 0 && b.railway > 0 && b.railway < n {
		n = b.railway
	}
	if n == b.applied {
		return
	}
	b.applied = n
	if n == 0 {
		return
	}
	r, burst := bucketRate(n)
	if b.limiter == nil {
		b.limiter = rate.NewLimiter(r, burst)
		return
	}
	b.limiter.SetLimitAt(now, r)
	b.limiter.SetBurstAt(now, burst)
}

// bucketRate sizes a token bucket that never allows more than n requests in
// any hour: burst b = max(1, min(20, n/10)) and a refill of (n-b) per hour,
// so any hour sees at most b + (n-b) = n.
func bucketRate(n int) (rate.Limit, int) {
	b := max(1, min(20, n/10))
	refill := n - b
	if refill == 0 {
		refill = n // n == 1: one request per hour
	}
	return rate.Limit(float64(refill) / time.Hour.Seconds()), b
}

// slot is one admitted request: when it may go, and how to give it back.
type slot struct {
	at  time.Time
	res *rate.Reservation // nil when no budget was in force
}

// admit reserves a slot for one request: at is now, or later when the
// bucket is empty or n requests were admitted in the hour before.
func (b *budget) admit(now time.Time) slot {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trim(now)
	if b.applied == 0 {
		b.insert(now)
		return slot{at: now}
	}
	r := b.limiter.ReserveN(now, 1)
	at := now.Add(r.DelayFrom(now))
	if k := len(b.admitted) - b.applied; k >= 0 {
		at = latest(at, b.admitted[k].Add(time.Hour))
	}
	if n := len(b.admitted); n > 0 {
		at = latest(at, b.admitted[n-1]) // keeps the log ascending
	}
	b.admitted = append(b.admitted, at)
	return slot{at: at, res: r}
}

// release gives back a slot whose request was not sent.
func (b *budget) release(s slot, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.admitted) - 1; i >= 0; i-- {
		if b.admitted[i].Equal(s.at) {
			b.admitted = append(b.admitted[:i], b.admitted[i+1:]...)
			break
		}
	}
	if s.res != nil {
		s.res.CancelAt(now)
	}
}

// trim drops the admissions that can no longer count: those an hour old.
func (b *budget) trim(now time.Time) {
	cut := now.Add(-time.Hour)
	i := sort.Search(len(b.admitted), func(i int) bool { return b.admitted[i].After(cut) })
	if keep := max(maxAdmittedLog, b.applied); len(b.admitted)-i > keep {
		i = len(b.admitted) - keep
	}
	if i > 0 {
		b.admitted = append(b.admitted[:0], b.admitted[i:]...)
	}
}

// insert adds t to the log in order.
func (b *budget) insert(t time.Time) {
	i := sort.Search(len(b.admitted), func(i int) bool { return b.admitted[i].After(t) })
	b.admitted = append(b.admitted, time.Time{})
	copy(b.admitted[i+1:], b.admitted[i:])
	b.admitted[i] = t
}

// snapshot returns the size in force and the admissions of the last hour.
func (b *budget) snapshot(now time.Time) (applied, lastHour int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cut := now.Add(-time.Hour)
	for _, t := range b.admitted {
		if t.After(cut) && !t.After(now) {
			lastHour++
		}
	}
	return b.applied, lastHour
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// SetMaxRequestsPerHour resizes the client-side budget at run time; 0
// removes it. In a fleet, the units that share a token share one Client:
// set it to the smallest maxRequestsPerHour among them (and again whenever
// a unit is added, removed or reloaded), so that their requests together
// never exceed it.
//
// Requests already sent count against the new size: after a resize no
// request goes out while the hour before it already holds n, and the token
// bucket keeps its level (raising the budget refunds nothing). Railway's
// X-RateLimit-Limit still caps it when lower. It fails only for a negative n.
func (c *Client) SetMaxRequestsPerHour(n int) error {
	if n < 0 {
		return fmt.Errorf("railway: maxRequestsPerHour must not be negative, got %d", n)
	}
	c.budget.configure(n, c.now())
	return nil
}

// takeBudget waits for a request slot. It returns ErrBudgetExhausted, without
// waiting, when the slot would come after ctx's deadline.
func (c *Client) takeBudget(ctx context.Context, op string) error {
	now := c.now()
	s := c.budget.admit(now)
	d := s.at.Sub(now)
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && s.at.After(dl) {
		c.budget.release(s, now)
		err := fmt.Errorf("railway %s: next request allowed in %s: %w", op, d.Round(time.Second), ErrBudgetExhausted)
		if c.onRequest != nil {
			c.onRequest(op, resultLabel(err))
		}
		return err
	}
	c.log.Debug("waiting for request budget", zap.String("op", op), zap.Duration("wait", d))
	if err := c.sleep(ctx, d); err != nil {
		c.budget.release(s, c.now())
		return &TransientError{Op: op, Err: err}
	}
	return nil
}
