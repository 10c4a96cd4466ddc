package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state"
)

func TestTryAcquireNamesTheHolder(t *testing.T) {
	dsn := pg.Database(t)
	a, b := open(t, dsn), open(t, dsn)
	l := acquire(t, a, "app")
	if l.Epoch() != 1 || l.Name() != "app" || l.Holder().Command != "pgstore test" || l.Expires().IsZero() {
		t.Fatalf("lease: epoch %d, name %s, holder %+v, expires %v", l.Epoch(), l.Name(), l.Holder(), l.Expires())
	}
	_, err := b.TryAcquire(t.Context(), "app")
	var locked *state.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, state.ErrLocked) {
		t.Fatalf("TryAcquire while held: got %v, want a *LockedError", err)
	}
	if locked.Holder.Instance != a.Self().Instance || locked.Holder.PID == 0 || locked.Holder.Since.IsZero() {
		t.Fatalf("holder named: %+v", locked.Holder)
	}
	t.Logf("%v", err)
	if _, err := a.TryAcquire(t.Context(), "app"); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("a second lease of the same store: got %v, want ErrLocked", err)
	}
	h, ok, err := b.Holder(t.Context(), "app")
	if err != nil || !ok || !h.Expires.After(h.Since) || h.Instance != a.Self().Instance {
		t.Fatalf("Holder: %+v, %v, %v", h, ok, err)
	}
	if _, ok, _ := b.Holder(t.Context(), "other"); ok {
		t.Fatalf("Holder of a unit never locked: held")
	}
}

func TestLeaseIsRenewedWhileHeld(t *testing.T) {
	dsn := pg.Database(t)
	a, b := open(t, dsn), open(t, dsn)
	l := acquire(t, a, "app")
	first := l.Expires()
	waitFor(t, 3*leaseDuration+slack, "three lease durations held", func() bool {
		return time.Since(first) > 2*leaseDuration
	})
	if err := l.Err(); err != nil || closed(l.Done()) {
		t.Fatalf("lease lost while renewing: %v", err)
	}
	if !l.Expires().After(first) {
		t.Fatalf("expiry not moved by the renewals")
	}
	if _, err := b.TryAcquire(t.Context(), "app"); !errors.Is(err, state.ErrLocked) {
		t.Fatalf("TryAcquire of a renewed lease: got %v, want ErrLocked", err)
	}
}

func TestReleaseHandsOverAtOnce(t *testing.T) {
	dsn := pg.Database(t)
	a, b := open(t, dsn), open(t, dsn)
	l := acquire(t, a, "app")
	got := make(chan state.Lease, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		lb, err := b.Acquire(ctx, "app")
		if err != nil {
			t.Errorf("follower Acquire: %v", err)
		}
		got <- lb
	}()
	time.Sleep(2 * retryPeriod) // the follower is polling (not a synchronisation)
	begin := time.Now()
	if err := l.Release(t.Context()); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := l.Release(t.Context()); err != nil || l.Err() != nil || !closed(l.Done()) {
		t.Fatalf("after Release: second Release %v, Err %v, Done closed %v", err, l.Err(), closed(l.Done()))
	}
	lb := <-got
	t.Logf("takeover after release: %v", time.Since(begin).Round(time.Millisecond))
	if lb == nil || lb.Epoch() != 2 {
		t.Fatalf("follower's lease: %+v", lb)
	}
	if time.Since(begin) > leaseDuration {
		t.Fatalf("takeover after release took %v, longer than a lease", time.Since(begin))
	}
}

// TestFencingRefusesTheDeposedLeader: A holds epoch 1 and believes it
// still does (its renewals are frozen, its local deadline not yet past),
// but by the database's clock the lease expired and B took epoch 2. A's
// save is refused by the database and the row stays B's.
func TestFencingRefusesTheDeposedLeader(t *testing.T) {
	dsn := pg.Database(t)
	a, b := open(t, dsn), open(t, dsn)
	la := acquire(t, a, "app")
	if err := a.Save(t.Context(), la, state.New("app", time.Now())); err != nil {
		t.Fatalf("A's save: %v", err)
	}
	a.PauseRenewals(true)
	execSQL(t, dsn, "UPDATE reconciler_leases SET expires_at = now() WHERE name = 'app'") // as if A's clock ran slow
	lb := acquire(t, b, "app")
	if la.Epoch() != 1 || lb.Epoch() != 2 {
		t.Fatalf("epochs: A %d, B %d", la.Epoch(), lb.Epoch())
	}
	stB := state.New("app", time.Now())
	stB.Phase = state.Healthy
	if err := b.Save(t.Context(), lb, stB); err != nil {
		t.Fatalf("B's save: %v", err)
	}
	if la.Err() != nil {
		t.Skip("A's local deadline passed already; the database fence was not exercised")
	}
	stA := state.New("app", time.Now())
	stA.Phase = state.RolledBack
	err := a.Save(t.Context(), la, stA)
	if !errors.Is(err, state.ErrFenced) {
		t.Fatalf("deposed leader's save: got %v, want ErrFenced", err)
	}
	t.Logf("%v", err)
	if !errors.Is(la.Err(), state.ErrLeaseLost) || !closed(la.Done()) {
		t.Fatalf("A still believes it holds the lease after a fenced save: %v", la.Err())
	}
	got, err := b.Load(t.Context(), "app")
	if err != nil || got.Phase != state.Healthy {
		t.Fatalf("row after the fenced save: %v, %v; want B's", got, err)
	}
	if e := query[int64](t, dsn, "SELECT epoch FROM reconciler_units WHERE name = 'app'"); e != 2 {
		t.Fatalf("row epoch %d, want 2", e)
	}
}

// TestPausedHolderLosesTheLease: a holder that stops renewing gives the
// lease up within RenewDeadline, before anyone can take it, and a follower
// takes it within LeaseDuration + RetryPeriod.
func TestPausedHolderLosesTheLease(t *testing.T) {
	dsn := pg.Database(t)
	a, b := open(t, dsn), open(t, dsn)
	la := acquire(t, a, "app")
	a.PauseRenewals(true)
	paused := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	lb, err := b.Acquire(ctx, "app")
	if err != nil {
		t.Fatalf("follower: %v", err)
	}
	took := time.Since(paused)
	// The invariant: when B holds the lease, A knows it does not.
	if !errors.Is(la.Err(), state.ErrLeaseLost) {
		t.Fatalf("B acquired while A still believed it held the lease")
	}
	waitFor(t, slack, "A's Done closed", func() bool { return closed(la.Done()) })
	t.Logf("takeover %v after the holder froze; A: %v", took.Round(time.Millisecond), la.Err())
	if took > leaseDuration+retryPeriod+slack {
		t.Fatalf("takeover took %v, want about LeaseDuration + RetryPeriod (%v)", took, leaseDuration+retryPeriod)
	}
	if !strings.Contains(la.Err().Error(), "not renewed within") {
		t.Fatalf("cause: %v", la.Err())
	}
	a.PauseRenewals(false)
	if err := a.Save(t.Context(), la, state.New("app", time.Now())); !errors.Is(err, state.ErrFenced) {
		t.Fatalf("A's save after it resumed: got %v, want ErrFenced", err)
	}
	if lb.Epoch() != 2 {
		t.Fatalf("B's epoch %d, want 2", lb.Epoch())
	}
}

func TestLostLeaseIsReported(t *testing.T) {
	dsn := pg.Database(t)
	a, b := open(t, dsn), open(t, dsn)
	la := acquire(t, a, "app")
	// Someone takes the lease behind A's back (an operator's UPDATE, then
	// B) between two of A's renewals: A's next renewal finds it gone.
	a.PauseRenewals(true)
	execSQL(t, dsn, "UPDATE reconciler_leases SET expires_at = now() WHERE name = 'app'")
	lb := acquire(t, b, "app")
	a.PauseRenewals(false)
	select {
	case <-la.Done():
	case <-time.After(renewDeadline + slack):
		t.Fatalf("A's lease not lost after B took it")
	}
	err := la.Err()
	t.Logf("A: %v", err)
	if !errors.Is(err, state.ErrLeaseLost) {
		t.Fatalf("A's loss: %v", err)
	}
	// On a loaded machine A's deadline may pass before its renewal runs.
	if !strings.Contains(err.Error(), "taken by") && !strings.Contains(err.Error(), "not renewed within") {
		t.Fatalf("A's loss does not say why: %v", err)
	}
	if lb.Err() != nil {
		t.Fatalf("B's lease: %v", lb.Err())
	}
}
