package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

func newApplyCmd(a *App) *cobra.Command {
	var dryRun bool
	var timeout time.Duration
	var name string
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Reconcile until nothing is pending",
		Long: `Observe, run one probe round, act, persist the state, and again while an
addon creation or a deploy it started is in progress, up to --timeout: one
apply on an empty project ends converged. --dry-run is plan with apply's
output: nothing is written, and it exits as plan does.

Exit 0 converged (--dry-run: nothing to do), 1 error or timeout,
2 changes pending (--dry-run only), 3 invalid spec.`,
		Example: `  reconciler apply -f desired.yaml
  reconciler apply -f desired.yaml --dry-run      # exit 2 when something would be done
  reconciler apply -f desired.yaml --timeout 15m  # a slow first deploy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := positive(cmd, "--timeout", timeout); err != nil {
				return err
			}
			return forUnits(cmd, a, name, false, railwayEnvs, func(sp *spec.Spec) error {
				if dryRun {
					return applyDryRun(cmd.Context(), a, sp, timeout)
				}
				return applySpec(cmd.Context(), a, sp, timeout)
			})
		},
	}
	specFlag(a, cmd)
	nameFlag(cmd, &name)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be done; change nothing")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}

// applySpec converges one unit.
func applySpec(ctx context.Context, a *App, sp *spec.Spec, timeout time.Duration) error {
	hooks := reconcile.Hooks{Event: func(e state.Event) {
		fmt.Fprintf(a.Stdout, "%s  %-16s %s\n", e.At.UTC().Format(time.TimeOnly), e.Type, e.Message)
	}}
	ctx, cancel := context.WithTimeout(ctx, timeout) // the token check included
	defer cancel()
	built, err := buildApp(ctx, a, sp, app.StoreLocked, "reconciler apply", hooks)
	if err != nil {
		return timedOut(ctx, timeout, err)
	}
	defer built.Close()
	res, err := built.Reconciler.Converge(ctx, reconcile.ConvergeOptions{})
	if errors.Is(err, reconcile.ErrNotConverged) && ctx.Err() != nil {
		return failure(fmt.Errorf("gave up after %s: %w", timeout, err))
	}
	if err != nil {
		return failure(err)
	}
	_, err = fmt.Fprintf(a.Stdout, "converged: phase %s\n", res.Phase)
	return err
}

// applyDryRun is plan with apply's output: nothing is written, and the exit
// code is plan's (2 when something would be done).
func applyDryRun(ctx context.Context, a *App, sp *spec.Spec, timeout time.Duration) error {
	res, _, err := dryPass(ctx, a, sp, timeout)
	if err != nil {
		return err
	}
	if err := writePlan(a.Stdout, "text", sp.Name, res, nil); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(a.Stdout, "dry run: nothing was applied"); err != nil {
		return err
	}
	return planExit(res)
}
