package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/internal/pgserver/pgtest"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// pg is the server the tests share, each in a database of its own; the
// outage tests start their own.
var pg pgtest.Shared

func TestMain(m *testing.M) {
	if dsn := os.Getenv(helperEnv); dsn != "" {
		os.Exit(helper(dsn))
	}
	code := m.Run()
	pg.Close()
	os.Exit(code)
}

// Short lease timings (client-go's ratios), with generous test deadlines.
const (
	leaseDuration = 1500 * time.Millisecond
	renewDeadline = 1000 * time.Millisecond
	retryPeriod   = 200 * time.Millisecond
	// slack absorbs scheduling delays on a loaded machine.
	slack = 1500 * time.Millisecond
)

func testOptions() pgstore.Options {
	return pgstore.Options{LeaseDuration: leaseDuration, RenewDeadline: renewDeadline,
		RetryPeriod: retryPeriod, MailboxPoll: 200 * time.Millisecond, Command: "pgstore test"}
}

// Longer timings, for the tests whose assertion ("still listed", "exactly
// one leader") must not depend on no statement ever stalling for 1 s.
const (
	slowLease = 3 * time.Second
	slowRenew = 2 * time.Second
	slowRetry = 300 * time.Millisecond
)

func slowOptions() pgstore.Options {
	o := testOptions()
	o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = slowLease, slowRenew, slowRetry
	return o
}

// open opens a Store on dsn with the test timings (or o), closed at the
// end of the test.
func open(t *testing.T, dsn string, o ...pgstore.Options) *pgstore.Store {
	t.Helper()
	opts := testOptions()
	if len(o) > 0 {
		opts = o[0]
	}
	if opts.Logger == nil {
		opts.Logger = zaptest.NewLogger(t)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, dsn, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func acquire(t *testing.T, s *pgstore.Store, name string) state.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	l, err := s.Acquire(ctx, name)
	if err != nil {
		t.Fatalf("Acquire(%s): %v", name, err)
	}
	return l
}

// waitFor polls cond every 10 ms until it holds, failing after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
