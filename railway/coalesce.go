package railway

import (
	"context"
	"sync"
	"time"
)

// coalescer merges the calls made with the same key within a window into one
// flush. The first call of a key opens a batch and arms the window; the
// calls that follow join it until the window ends, when the batch is sent
// with every waiting call's request. A call never waits for the window
// longer than the window itself, and calls arriving while a batch is being
// sent open the next one: a batch's answer is always read after every one
// of its calls was made.
type coalescer[K comparable, R, T any] struct {
	window time.Duration
	after  func(time.Duration) <-chan time.Time
	flush  func(ctx context.Context, key K, reqs []R) (T, error)

	mu      sync.Mutex
	open    map[K]*batch[R, T]
	pending int // calls waiting in open batches
	calls   int64
	batches int64
}

// batch is one open or sent batch.
type batch[R, T any] struct {
	waiters []*waiter[R]
	live    int // waiters that have not left
	ctx     context.Context
	cancel  context.CancelFunc // once every waiter left
	done    chan struct{}
	res     T
	err     error
}

// waiter is one call in a batch.
type waiter[R any] struct {
	ctx  context.Context
	req  R
	gone bool
}

func newCoalescer[K comparable, R, T any](window time.Duration, after func(time.Duration) <-chan time.Time,
	flush func(ctx context.Context, key K, reqs []R) (T, error)) *coalescer[K, R, T] {
	return &coalescer[K, R, T]{window: window, after: after, flush: flush, open: map[K]*batch[R, T]{}}
}

// do joins (or opens) key's batch with req and waits for its answer, or for
// ctx to end. The answer is shared by every call of the batch: res even
// beside an error.
func (c *coalescer[K, R, T]) do(ctx context.Context, key K, req R) (res T, err error) {
	if err := ctx.Err(); err != nil {
		return res, err
	}
	b, w := c.join(ctx, key, req)
	select {
	case <-b.done:
		return b.res, b.err
	case <-ctx.Done():
		c.leave(key, b, w)
		return res, ctx.Err()
	}
}

func (c *coalescer[K, R, T]) join(ctx context.Context, key K, req R) (*batch[R, T], *waiter[R]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.open[key]
	if b == nil {
		b = &batch[R, T]{done: make(chan struct{})}
		b.ctx, b.cancel = context.WithCancel(context.Background())
		c.open[key] = b
		go c.run(key, b, c.after(c.window)) // armed now: the window starts with the first call
	}
	w := &waiter[R]{ctx: ctx, req: req}
	b.waiters = append(b.waiters, w)
	b.live++
	c.pending++
	c.calls++
	return b, w
}

// leave takes a waiter whose context ended out of its batch. A batch every
// waiter left is not sent (or, when it already was, its request is
// cancelled).
func (c *coalescer[K, R, T]) leave(key K, b *batch[R, T], w *waiter[R]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.gone = true
	b.live--
	if c.open[key] == b {
		c.pending--
		if b.live == 0 {
			delete(c.open, key)
		}
	}
	if b.live == 0 {
		b.cancel()
	}
}

// run waits for the window to end, then sends the batch.
func (c *coalescer[K, R, T]) run(key K, b *batch[R, T], window <-chan time.Time) {
	defer b.cancel()
	select {
	case <-window:
	case <-b.ctx.Done(): // every waiter left before the window ended
	}
	reqs, ctxs := c.seal(key, b)
	if len(reqs) == 0 {
		b.err = context.Canceled
		close(b.done)
		return
	}
	ctx, cancel := mergedContext(b.ctx, ctxs)
	b.res, b.err = c.flush(ctx, key, reqs)
	cancel()
	close(b.done)
}

// seal closes the batch to newcomers and returns the live waiters' requests
// and contexts (none when every waiter left).
func (c *coalescer[K, R, T]) seal(key K, b *batch[R, T]) ([]R, []context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[key] == b {
		delete(c.open, key)
		c.pending -= b.live
	}
	if b.live == 0 {
		return nil, nil
	}
	c.batches++
	reqs := make([]R, 0, b.live)
	ctxs := make([]context.Context, 0, b.live)
	for _, w := range b.waiters {
		if !w.gone {
			reqs = append(reqs, w.req)
			ctxs = append(ctxs, w.ctx)
		}
	}
	return reqs, ctxs
}

// mergedContext is the context a batch is sent with: cancelled once every
// waiter left (base), marked Essential when any waiter's context is (the
// rate-limit reserve then serves the whole batch: it costs one request
// either way), and bounded by the latest of the waiters' deadlines (none
// when any waiter has none). It carries no other value of the waiters'
// contexts.
func mergedContext(base context.Context, waiters []context.Context) (context.Context, context.CancelFunc) {
	ctx := base
	var latest time.Time
	bounded := true
	for _, w := range waiters {
		if IsEssential(w) {
			ctx = Essential(base)
		}
		if dl, ok := w.Deadline(); !ok {
			bounded = false
		} else if dl.After(latest) {
			latest = dl
		}
	}
	if bounded {
		return context.WithDeadline(ctx, latest)
	}
	return context.WithCancel(ctx)
}

// stats returns the calls made, the batches sent and the calls waiting in
// open batches.
func (c *coalescer[K, R, T]) stats() (calls, batches int64, pending int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.batches, c.pending
}
