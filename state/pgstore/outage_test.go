package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/pgserver/pgtest"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// TestPostgresKilled: the leader's lease is lost within RenewDeadline of
// PostgreSQL's death, no one can acquire while it is down, and after it
// restarts exactly one replica leads, under a later epoch, while the old
// leader's saves are fenced. No error carries the password.
func TestPostgresKilled(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := pgtest.Database(t, srv)
	const leaseDuration, renewDeadline, retryPeriod = slowLease, slowRenew, slowRetry
	open := func(t *testing.T, dsn string) *pgstore.Store { return open(t, dsn, slowOptions()) }
	a := open(t, dsn)
	la := acquire(t, a, "app")
	if err := a.Save(t.Context(), la, state.New("app", time.Now())); err != nil {
		t.Fatal(err)
	}
	replicas := []*pgstore.Store{open(t, dsn), open(t, dsn)}

	srv.Kill()
	killed := time.Now()
	select {
	case <-la.Done():
	case <-time.After(renewDeadline + slack):
		t.Fatalf("leader still holds its lease %v after PostgreSQL died", time.Since(killed))
	}
	t.Logf("lease lost %v after the kill: %v", time.Since(killed).Round(time.Millisecond), la.Err())

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	won := make(chan state.Lease, len(replicas))
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Go(func() {
			if l, err := r.Acquire(ctx, "app"); err == nil {
				won <- l
			}
		})
	}
	// No one acquires while PostgreSQL is down, and they say why.
	waitFor(t, 2*slack, "followers report the database down", func() bool { return replicas[0].LastError() != nil })
	if len(won) != 0 {
		t.Fatalf("a replica acquired the lease while PostgreSQL was down")
	}
	t.Logf("while down: %v", replicas[0].LastError())
	assertNoPassword(t, srv.Password(), la.Err(), replicas[0].LastError())

	if err := srv.Restart(t.Context()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	restarted := time.Now()
	var leader state.Lease
	select {
	case leader = <-won:
	case <-time.After(leaseDuration + retryPeriod + 2*slack):
		t.Fatalf("no leader %v after PostgreSQL came back", time.Since(restarted))
	}
	t.Logf("new leader %v after the restart, epoch %d", time.Since(restarted).Round(time.Millisecond), leader.Epoch())
	// Exactly one: the other is still waiting a lease duration later.
	time.Sleep(leaseDuration + retryPeriod) // observing that nothing happens
	if len(won) != 0 {
		t.Fatalf("two replicas lead after the restart")
	}
	cancel()
	wg.Wait()
	if leader.Epoch() <= la.Epoch() || leader.Err() != nil {
		t.Fatalf("new leader: epoch %d (old %d), %v", leader.Epoch(), la.Epoch(), leader.Err())
	}
	err := a.Save(t.Context(), la, state.New("app", time.Now()))
	if !errors.Is(err, state.ErrFenced) {
		t.Fatalf("old leader's save after the restart: got %v, want ErrFenced", err)
	}
	if replicas[0].LastError() != nil && replicas[1].LastError() != nil {
		t.Fatalf("LastError still set after the database came back")
	}
}

func assertNoPassword(t *testing.T, password string, errs ...error) {
	t.Helper()
	for _, err := range errs {
		if err != nil && strings.Contains(err.Error(), password) {
			t.Fatalf("an error carries the password: %v", err)
		}
	}
}
