package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smartlic/reconciler/state"
)

// errUnknownRequest means Await was given an id that was never posted.
var errUnknownRequest = errors.New("no such request")

// Await implements state.Mailbox: it waits for the answer to request id,
// woken by the leader's notification or, failing that, a poll every
// MailboxPoll. When ctx ends first, the request is withdrawn (unless the
// answer came in the meantime, which is then returned) and the error
// wraps ErrNoLeader or ErrNoAnswer, and ctx's error.
func (s *Store) Await(ctx context.Context, id string) (state.Response, error) {
	woken, cancel := s.watch.subscribe("answer " + id)
	defer cancel()
	t := time.NewTicker(s.opts.MailboxPoll)
	defer t.Stop()
	var req requestRow
	var lastErr error
	for {
		r, err := s.request(ctx, id)
		switch {
		case errors.Is(err, errUnknownRequest):
			return state.Response{}, err
		case err == nil && r.answered:
			return r.resp, nil
		case err == nil:
			req = r
		case ctx.Err() == nil:
			lastErr = err // the database may come back before ctx ends
		}
		select {
		case <-ctx.Done():
			return s.giveUp(id, req, ctx.Err(), lastErr)
		case <-woken:
		case <-t.C:
		}
	}
}

// requestRow is what Await reads of a request.
type requestRow struct {
	name, action string
	answered     bool
	resp         state.Response
}

func (s *Store) request(ctx context.Context, id string) (requestRow, error) {
	var r requestRow
	var raw []byte
	err := s.pool.QueryRow(withKind(ctx, "await"), `
		SELECT name, request->>'action', response FROM reconciler_requests WHERE id = $1`, id).Scan(&r.name, &r.action, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("waiting for request %s: %w", id, errUnknownRequest)
	}
	if err != nil {
		return r, s.fail("waiting for request "+id, err)
	}
	if raw != nil {
		r.answered = true
		if err := json.Unmarshal(raw, &r.resp); err != nil {
			return r, fmt.Errorf("request %s: undecodable answer: %w", id, err)
		}
	}
	return r, nil
}

// giveUp withdraws request id once its waiter stops waiting, and says why
// no answer came.
func (s *Store) giveUp(id string, req requestRow, cause, lastErr error) (state.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), withdrawTimeout)
	defer cancel()
	if req.name == "" {
		return state.Response{}, fmt.Errorf("waiting for request %s: the database could not be read (%v): %w", id, lastErr, cause)
	}
	withdrawn, _ := json.Marshal(state.Response{Message: "withdrawn: its sender stopped waiting for an answer", At: time.Now().UTC()})
	tag, err := s.pool.Exec(withKind(ctx, "await"), `
		UPDATE reconciler_requests SET response = $2, answered_at = now() WHERE id = $1 AND response IS NULL`, id, withdrawn)
	if err == nil && tag.RowsAffected() == 0 {
		if r, err := s.request(ctx, id); err == nil && r.answered {
			return r.resp, nil // answered just in time
		}
	}
	what := fmt.Sprintf("%s request %s", req.action, id)
	if err != nil {
		return state.Response{}, fmt.Errorf("no answer to the %s, and it could not be withdrawn (%w): %w", what, s.fail("withdrawing", err), cause)
	}
	h, held, herr := s.Holder(ctx, req.name)
	switch {
	case herr != nil:
		return state.Response{}, fmt.Errorf("no answer to the %s (withdrawn): %w", what, cause)
	case held:
		return state.Response{}, fmt.Errorf("%w: %s leads unit %q but did not answer the %s in time; withdrawn: %w",
			ErrNoAnswer, h, req.name, what, cause)
	default:
		return state.Response{}, fmt.Errorf("%w of unit %q, so nothing carried out the %s; withdrawn (is a reconciler running with the postgres backend?): %w",
			ErrNoLeader, req.name, what, cause)
	}
}

// Wake implements state.Mailbox.
func (s *Store) Wake(ctx context.Context, name string) <-chan struct{} {
	ch, cancel := s.watch.subscribe("post " + name)
	go func() {
		<-ctx.Done()
		cancel()
	}()
	return ch
}
