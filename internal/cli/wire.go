package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// buildApp wires the reconciler for a command. It checks the token and the
// project's access first, so a bad credential stops everything before any
// read or write, with one line naming the variable used. Errors exit 1.
func buildApp(ctx context.Context, a *App, sp *spec.Spec, mode app.StoreMode, holder string, hooks reconcile.Hooks) (*app.App, error) {
	built, err := app.Build(ctx, app.Options{
		Spec: sp, LookupEnv: a.LookupEnv, Logger: a.Logger, Version: Build().Version,
		Store: mode, Command: holder, Hooks: hooks, Now: a.Now, CheckAccess: true, LogAttempts: true,
		Instance: state.InstanceID(), // Railway's logs tell this command's writes from a replica's
	})
	if err != nil {
		var le *state.LockedError
		if errors.As(err, &le) {
			return nil, failure(fmt.Errorf("%w; stop it first, or use its /status", err))
		}
		return nil, failure(err)
	}
	if info := built.Loaded; info.CorruptMovedTo != "" {
		fmt.Fprintf(a.Stderr, "warning: the state file was corrupt; moved aside to %s, starting over in Unknown\n", info.CorruptMovedTo)
	}
	return built, nil
}

// dryPass is the work plan, report and apply --dry-run share: one pass
// with a probe round that writes nothing, to Railway or to the state file,
// all of it (the access check, Railway's retries, the round) within
// timeout. It returns the pass and the state it left in memory, whose
// LastProbe is that round. Errors exit 1.
func dryPass(ctx context.Context, a *App, sp *spec.Spec, timeout time.Duration) (*reconcile.Result, *state.State, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	built, err := buildApp(ctx, a, sp, app.StoreReadOnly, "", reconcile.Hooks{}) // no lock, so no holder
	if err != nil {
		return nil, nil, timedOut(ctx, timeout, err)
	}
	defer built.Close()
	res := built.Reconciler.Pass(ctx, reconcile.PassOptions{Probe: true, DryRun: true})
	if res.Err != nil {
		return nil, nil, timedOut(ctx, timeout, failure(res.Err))
	}
	if ctx.Err() != nil {
		// The round was cut short: what it found is not a verdict.
		return nil, nil, timedOut(ctx, timeout, failure(ctx.Err()))
	}
	return res, built.Reconciler.State(), nil
}

// timedOut says that the command's --timeout ran out, when it did, in
// front of err (which keeps its exit code).
func timedOut(ctx context.Context, timeout time.Duration, err error) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	return failure(fmt.Errorf("gave up after %s (--timeout): %w", timeout, err))
}

// failure wraps an outside failure (Railway, network) as exit 1.
func failure(err error) error { return WithExitCode(ExitFailure, err) }
