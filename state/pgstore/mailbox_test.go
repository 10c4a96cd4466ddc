package pgstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// lead answers every request for name under l, woken by Wake, until ctx
// ends.
func lead(ctx context.Context, t *testing.T, s *pgstore.Store, l state.Lease, name string) {
	for range s.Wake(ctx, name) {
		reqs, err := s.Pending(ctx, name)
		if err != nil {
			continue
		}
		for _, r := range reqs {
			resp := state.Response{OK: true, Phase: state.RolledBack, Message: "rolled back: " + r.Reason}
			if err := s.Answer(ctx, l, r.ID, resp); err != nil && ctx.Err() == nil {
				t.Errorf("Answer: %v", err)
			}
		}
	}
}

func TestMailboxEndToEnd(t *testing.T) {
	dsn := pg.Database(t)
	leader, cli := open(t, dsn), open(t, dsn, pgstore.Options{MailboxPoll: time.Hour}) // notifications only
	l := acquire(t, leader, "app")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go lead(ctx, t, leader, l, "app")

	for i := range 3 {
		begin := time.Now()
		id, err := cli.Post(t.Context(), state.Request{Name: "app", Action: state.RequestRollback, Reason: "redis flaps"})
		if err != nil {
			t.Fatalf("Post: %v", err)
		}
		actx, acancel := context.WithTimeout(t.Context(), 10*time.Second)
		resp, err := cli.Await(actx, id)
		acancel()
		if err != nil || !resp.OK || resp.Phase != state.RolledBack || resp.Message != "rolled back: redis flaps" {
			t.Fatalf("Await: %+v, %v", resp, err)
		}
		t.Logf("request %d answered in %v", i, time.Since(begin).Round(time.Millisecond))
	}
	if reqs, err := cli.Pending(t.Context(), "app"); err != nil || len(reqs) != 0 {
		t.Fatalf("Pending after the answers: %v, %v", reqs, err)
	}
}

func TestAwaitWithoutLeaderTimesOutAndWithdraws(t *testing.T) {
	dsn := pg.Database(t)
	cli, later := open(t, dsn), open(t, dsn)
	id, err := cli.Post(t.Context(), state.Request{Name: "app", Action: state.RequestRollForward})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err = cli.Await(ctx, id)
	if !errors.Is(err, pgstore.ErrNoLeader) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Await with no leader: got %v, want ErrNoLeader and DeadlineExceeded", err)
	}
	t.Logf("%v", err)
	// A leader that comes later does not carry the withdrawn request out.
	l := acquire(t, later, "app")
	if reqs, err := later.Pending(t.Context(), "app"); err != nil || len(reqs) != 0 {
		t.Fatalf("Pending after the withdrawal: %v, %v", reqs, err)
	}
	if err := later.Answer(t.Context(), l, id, state.Response{OK: true}); err == nil || errors.Is(err, state.ErrFenced) {
		t.Fatalf("Answer to a withdrawn request: got %v, want a plain error", err)
	}
}

func TestAwaitWithASilentLeader(t *testing.T) {
	dsn := pg.Database(t)
	leader, cli := open(t, dsn), open(t, dsn)
	acquire(t, leader, "app") // holds the lease, never answers
	id, err := cli.Post(t.Context(), state.Request{Name: "app", Action: state.RequestRollback})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if _, err = cli.Await(ctx, id); !errors.Is(err, pgstore.ErrNoAnswer) {
		t.Fatalf("Await: got %v, want ErrNoAnswer", err)
	}
	t.Logf("%v", err)
}

func TestAnswerIsFenced(t *testing.T) {
	dsn := pg.Database(t)
	a, b := open(t, dsn), open(t, dsn)
	la := acquire(t, a, "app")
	id, err := b.Post(t.Context(), state.Request{Name: "app", Action: state.RequestRollback})
	if err != nil {
		t.Fatal(err)
	}
	a.PauseRenewals(true)
	execSQL(t, dsn, "UPDATE reconciler_leases SET expires_at = now() WHERE name = 'app'")
	acquire(t, b, "app")
	if err := a.Answer(t.Context(), la, id, state.Response{OK: true}); !errors.Is(err, state.ErrFenced) {
		t.Fatalf("deposed leader's Answer: got %v, want ErrFenced", err)
	}
	if reqs, _ := b.Pending(t.Context(), "app"); len(reqs) != 1 {
		t.Fatalf("the request was answered by a deposed leader")
	}
}

// TestWakePollsWhenNotificationsAreLost: a request that arrives without a
// notification (as when the LISTEN connection was down) still wakes the
// leader, by the poll.
func TestWakePollsWhenNotificationsAreLost(t *testing.T) {
	dsn := pg.Database(t)
	s := open(t, dsn)
	ctx, cancel := context.WithCancel(t.Context())
	wake := s.Wake(ctx, "app")
	execSQL(t, dsn, `INSERT INTO reconciler_requests (id, name, request)
		VALUES ('silent', 'app', '{"id": "silent", "name": "app", "action": "rollback"}')`)
	select {
	case <-wake:
	case <-time.After(10 * time.Second):
		t.Fatalf("no wake-up for a request posted without a notification")
	}
	reqs, err := s.Pending(t.Context(), "app")
	if err != nil || len(reqs) != 1 || reqs[0].ID != "silent" {
		t.Fatalf("Pending: %v, %v", reqs, err)
	}
	cancel()
	waitFor(t, 5*time.Second, "Wake's channel closed with its context", func() bool {
		select {
		case _, ok := <-wake:
			return !ok
		default:
			return false
		}
	})
}

func TestPostRefusesABadRequest(t *testing.T) {
	s := open(t, pg.Database(t))
	for _, r := range []state.Request{{Action: state.RequestRollback}, {Name: "app", Action: "delete"}} {
		if _, err := s.Post(t.Context(), r); err == nil {
			t.Errorf("Post(%+v) accepted", r)
		}
	}
}
