package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// sharedWait bounds how long rollback and rollforward wait for the leader
// to carry a command out through the shared store.
const sharedWait = 90 * time.Second

// manualShared carries out a rollback or rollforward with the PostgreSQL
// backend, from any machine with the database URL. When a leader holds the
// unit's lease, the command is posted to the shared store and the leader
// carries it out at once; this waits for its answer. When none does, or
// the leader's lease expires before it answers (a frozen or cut-off
// leader), this process takes the lease and carries it out itself, as
// apply would: the old leader's writes are fenced from then on.
func manualShared(ctx context.Context, a *App, sp *spec.Spec, action, reason string) error {
	store, err := app.OpenStore(ctx, sp, app.StoreOptions{Logger: a.Logger, Now: a.Now, Command: "reconciler " + action})
	if err != nil {
		return failure(err)
	}
	h, held, err := store.Locker.Holder(ctx, sp.Name)
	store.Close()
	if err != nil {
		return failure(err)
	}
	if !held {
		return manualLocal(ctx, a, sp, action, reason)
	}
	return postToLeader(ctx, a, sp, h, action, reason)
}

// manualLocal takes the unit's lock or lease and carries the command out
// here, after a fresh read.
func manualLocal(ctx context.Context, a *App, sp *spec.Spec, action, reason string) error {
	built, err := buildApp(ctx, a, sp, app.StoreLocked, "reconciler "+action, reconcile.Hooks{})
	if err != nil {
		return err
	}
	defer built.Close()
	return manualHere(ctx, a, built.Reconciler, action, reason)
}

// postToLeader posts the command to the shared store and waits for the
// leader's answer.
func postToLeader(ctx context.Context, a *App, sp *spec.Spec, h state.Holder, action, reason string) error {
	store, err := app.OpenStore(ctx, sp, app.StoreOptions{Logger: a.Logger, Now: a.Now, Command: "reconciler " + action})
	if err != nil {
		return failure(err)
	}
	defer store.Close()
	host, _ := os.Hostname()
	id, err := store.Mailbox.Post(ctx, state.Request{Name: sp.Name, Action: action, Reason: reason, At: a.Now().UTC(),
		By: fmt.Sprintf("%s pid %d", host, os.Getpid())})
	if err != nil {
		return failure(fmt.Errorf("posting the %s to the shared store: %w", action, err))
	}
	waitCtx, cancel := context.WithTimeout(ctx, sharedWait)
	defer cancel()
	go stopWhenLeaderless(waitCtx, cancel, store.Locker, sp.Name)
	resp, err := store.Mailbox.Await(waitCtx, id)
	if errors.Is(err, pgstore.ErrNoLeader) && ctx.Err() == nil {
		// The leader lost its lease without answering (frozen, cut off,
		// killed): the request is withdrawn, so carry it out here.
		fmt.Fprintf(a.Stderr, "%s: the leader (%s) let its lease expire without answering; carrying it out here\n", action, h)
		return manualLocal(ctx, a, sp, action, reason)
	}
	if err != nil {
		return failure(fmt.Errorf("%s: no answer from the leader (%s) within %s; the request was withdrawn, nothing was done: "+
			"check `reconciler status` and the leader's logs, then try again (%w)", action, h, sharedWait, err))
	}
	return printShared(a, action, h, resp)
}

// leaderCheck is how often a command waiting for the leader's answer
// checks that some replica still holds the unit's lease.
const leaderCheck = time.Second

// stopWhenLeaderless calls stop once no replica holds unit's lease: the
// request will not be answered (a new leader would answer it, so a lease
// that changes hands is waited for).
func stopWhenLeaderless(ctx context.Context, stop context.CancelFunc, l state.Locker, unit string) {
	t := time.NewTicker(leaderCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, held, err := l.Holder(ctx, unit); err == nil && !held {
			stop()
			return
		}
	}
}

func printShared(a *App, action string, h state.Holder, resp state.Response) error {
	switch {
	case resp.Nothing:
		_, err := fmt.Fprintf(a.Stdout, "%s: nothing to do (%s); phase %s\n", action, resp.Message, resp.Phase)
		return err
	case !resp.OK:
		return failure(fmt.Errorf("%s by the leader (%s) failed: %s (phase %s)", action, h, resp.Message, resp.Phase))
	}
	_, err := fmt.Fprintf(a.Stdout, "%s done by the leader (%s): %s; phase %s\n", action, h, resp.Message, resp.Phase)
	return err
}

// sharedStatus is the unit's status document from the shared store, with
// the replica that leads it (Leader is empty when none does).
func sharedStatus(ctx context.Context, a *App, sp *spec.Spec) (reconcile.Status, error) {
	store, err := app.OpenStore(ctx, sp, app.StoreOptions{Logger: a.Logger, Now: a.Now})
	if err != nil {
		return reconcile.Status{}, err
	}
	defer store.Close()
	st, err := store.Backend.Load(ctx, sp.Name)
	if errors.Is(err, state.ErrNoState) {
		return reconcile.Status{}, fmt.Errorf("%w for %s: nothing has been applied yet (run `reconciler apply` or `reconciler run`)", errNoSharedState, sp.Name)
	}
	if err != nil {
		return reconcile.Status{}, err
	}
	doc := reconcile.StatusOf(st)
	h, held, err := store.Locker.Holder(ctx, sp.Name)
	if err != nil {
		return reconcile.Status{}, fmt.Errorf("reading who leads %s: %w", sp.Name, err)
	}
	if held {
		doc.Leader, doc.LeaseExpires = h.Instance, h.Expires
	}
	return doc, nil
}

// errNoSharedState means the shared store holds no state for the unit.
var errNoSharedState = errors.New("no state in the shared store")
