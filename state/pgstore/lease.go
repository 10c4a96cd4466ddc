package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/state"
)

// heldLease is a state.Lease on one unit, renewed by the Store's renewer.
type heldLease struct {
	s      *Store
	name   string
	epoch  int64
	holder state.Holder
	done   chan struct{}
	timer  *time.Timer // fires at deadline
	// verified is set once the unit's row was checked before a first save.
	verified atomic.Bool

	mu       sync.Mutex
	expires  time.Time // by the database's clock
	deadline time.Time // local: last successful renewal sent + RenewDeadline
	lastErr  error     // why the last renewal failed
	over     bool      // lost or released
	err      error     // why it was lost; nil after Release
}

func newLease(s *Store, name string, epoch int64, h state.Holder, sent time.Time) *heldLease {
	l := &heldLease{s: s, name: name, epoch: epoch, holder: h, done: make(chan struct{}),
		expires: h.Expires, deadline: sent.Add(s.opts.RenewDeadline)}
	l.timer = time.AfterFunc(time.Until(l.deadline), func() { _ = l.check() })
	return l
}

// Name implements state.Lease.
func (l *heldLease) Name() string { return l.name }

// Epoch implements state.Lease.
func (l *heldLease) Epoch() int64 { return l.epoch }

// Holder implements state.Lease.
func (l *heldLease) Holder() state.Holder {
	h := l.holder
	h.Expires = l.Expires()
	return h
}

// Expires implements state.Lease: when the database will let another
// replica take the lease unless it is renewed.
func (l *heldLease) Expires() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expires
}

// Done implements state.Lease.
func (l *heldLease) Done() <-chan struct{} { return l.done }

// Err implements state.Lease. Past the renew deadline it reports the lease
// lost even if the timer that closes Done has not run yet.
func (l *heldLease) Err() error {
	if err := l.check(); err != nil && !errors.Is(err, errReleased) {
		return err
	}
	return nil
}

var errReleased = errors.New("lease released")

// check returns nil while the lease is held, else why not; past the
// deadline it declares the lease lost.
func (l *heldLease) check() error {
	l.mu.Lock()
	if l.over {
		defer l.mu.Unlock()
		if l.err == nil {
			return errReleased
		}
		return l.err
	}
	if time.Now().Before(l.deadline) {
		l.mu.Unlock()
		return nil
	}
	cause := fmt.Errorf("not renewed within %s", l.s.opts.RenewDeadline)
	if l.lastErr != nil {
		cause = fmt.Errorf("%w: %w", cause, l.lastErr)
	}
	l.mu.Unlock()
	l.lose(cause)
	return l.Err()
}

// lose ends the lease with cause, once; the database row is then cleared
// if it is still this lease's, so that another replica need not wait for
// it to expire.
func (l *heldLease) lose(cause error) {
	l.mu.Lock()
	if l.over {
		l.mu.Unlock()
		return
	}
	l.over = true
	l.err = fmt.Errorf("%w: unit %q, epoch %d: %w", state.ErrLeaseLost, l.name, l.epoch, cause)
	l.timer.Stop()
	close(l.done)
	err := l.err
	l.mu.Unlock()
	l.s.renew.remove(l)
	l.s.log.Warn("lease lost; no longer acting for the unit", zap.String("unit", l.name), zap.Error(err))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), l.s.opts.RetryPeriod)
		defer cancel()
		_ = l.s.clear(ctx, l) // best effort: the lease expires anyway
	}()
}

// renewed records a successful renewal sent at sent, unless the lease is
// over or its deadline had passed by now (then it is lost).
func (l *heldLease) renewed(sent, expires time.Time) {
	if l.check() != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.over {
		return
	}
	l.expires, l.lastErr = expires, nil
	l.deadline = sent.Add(l.s.opts.RenewDeadline)
	l.timer.Reset(time.Until(l.deadline))
}

// failed records why a renewal failed, for the loss's message.
func (l *heldLease) failed(err error) {
	l.mu.Lock()
	l.lastErr = err
	l.mu.Unlock()
}

// Release implements state.Lease: the row is cleared at once so that a
// follower can take over without waiting for the lease to expire.
func (l *heldLease) Release(ctx context.Context) error {
	l.mu.Lock()
	if l.over {
		l.mu.Unlock()
		return nil
	}
	l.over = true
	l.timer.Stop()
	close(l.done)
	l.mu.Unlock()
	l.s.renew.remove(l)
	return l.s.clear(ctx, l)
}

// clearSQL gives a lease up, if it is still the one held, and wakes the
// replicas waiting for it.
const clearSQL = `
WITH c AS (
    UPDATE reconciler_leases SET holder_id = NULL, expires_at = now()
    WHERE name = $1 AND holder_id = $2 AND epoch = $3
    RETURNING name
)
SELECT pg_notify('reconciler', 'release ' || name) FROM c`

func (s *Store) clear(ctx context.Context, l *heldLease) error {
	_, err := s.pool.Exec(withKind(ctx, "release"), clearSQL, l.name, s.token, l.epoch)
	return s.fail("releasing the lease of unit "+quote(l.name), err)
}
