package pgstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/pgserver"
	"github.com/smartlic/reconciler/internal/pgserver/pgtest"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// steadyLeader runs one unit's leader for d: renewals, a Wake
// subscription (its poll), a save every saveEvery. It returns the
// statements the Store counted and the server logged meanwhile.
func steadyLeader(t *testing.T, o pgstore.Options, d, saveEvery time.Duration) (pgstore.Stats, int64) {
	srv := pgtest.Start(t, pgserver.Options{LogStatements: true})
	s := open(t, pgtest.Database(t, srv), o)
	l := acquire(t, s, "app")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_ = s.Wake(ctx, "app")
	st := state.New("app", time.Now())
	if err := s.Save(ctx, l, st); err != nil { // the first save verifies the row
		t.Fatal(err)
	}
	time.Sleep(o.RetryPeriod) // let the LISTEN connection settle (not a synchronisation)
	before, serverBefore := s.Stats(), srv.Statements()
	saves := time.NewTicker(saveEvery)
	defer saves.Stop()
	end := time.After(d)
	for running := true; running; {
		select {
		case <-saves.C:
			if err := s.Save(ctx, l, st); err != nil {
				t.Fatalf("Save: %v", err)
			}
		case <-end:
			running = false
		}
	}
	after := s.Stats()
	// The server logs what it executes through a pipe: wait for it to
	// catch up with what the Store counted.
	diff := after.Statements - before.Statements
	waitFor(t, 10*time.Second, "the server logs the statements", func() bool {
		return srv.Statements()-serverBefore >= diff
	})
	got := pgstore.Stats{Statements: diff, ByKind: map[string]int64{}}
	for k, v := range after.ByKind {
		if n := v - before.ByKind[k]; n > 0 {
			got.ByKind[k] = n
		}
	}
	return got, srv.Statements() - serverBefore
}

// TestStatementsCountedMatchTheServer: Stats counts every statement the
// server executes, so the figure per minute can be trusted.
func TestStatementsCountedMatchTheServer(t *testing.T) {
	o := testOptions()
	stats, server := steadyLeader(t, o, 3*time.Second, 500*time.Millisecond)
	t.Logf("3 s: store counted %d (%v), server logged %d", stats.Statements, stats.ByKind, server)
	// A statement in flight at either end of the window may be counted on
	// one side only.
	if d := server - stats.Statements; d < 0 || d > 2 {
		t.Fatalf("store counted %d statements, the server logged %d", stats.Statements, server)
	}
	if stats.ByKind["renew"] < 5 || stats.ByKind["save"] < 3 {
		t.Fatalf("unexpected mix: %v", stats.ByKind)
	}
	// 15 MailboxPoll ticks, with LISTEN up: one poll in ten ticks.
	if n := stats.ByKind["poll"]; n < 1 || n > 2 {
		t.Fatalf("%d mailbox polls in 3 s while listening (MailboxPoll %s), want 1 or 2: %v", n, o.MailboxPoll, stats.ByKind)
	}
}

// TestSteadyStateStatementsPerMinute measures one minute of a leader at
// the default timings (renew every 2 s, a save every 5 s probe round, the
// mailbox poll every 10 s while LISTEN is up). It takes a minute: run it with PGSTORE_MEASURE=1.
func TestSteadyStateStatementsPerMinute(t *testing.T) {
	if os.Getenv("PGSTORE_MEASURE") == "" {
		t.Skip("set PGSTORE_MEASURE=1 to measure (one minute)")
	}
	stats, server := steadyLeader(t, pgstore.Options{Command: "measure"}, time.Minute, 5*time.Second)
	t.Logf("one minute at the default timings: %d statements (server logged %d): %v", stats.Statements, server, stats.ByKind)
}
