package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

func newRollbackCmd(a *App) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "rollback --reason TEXT",
		Short: "Roll the consumers back now and hold until rollforward",
		Long: `Write the rollback variables (REDIS_URL="" by default) to every consumer
and deploy each once, now. The phase becomes Held: nothing rolls forward
until someone runs rollforward. When ` + "`reconciler run`" + ` holds the state, the
command is handed to it through its control socket.

Exit 0 done, 1 failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(reason) == "" {
				return &usageError{cmd: cmd, err: errors.New("--reason is required: say why, it is recorded and reported")}
			}
			return manual(cmd.Context(), a, "rollback", reason)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the state, the events and the notifications)")
	return cmd
}

func newRollforwardCmd(a *App) *cobra.Command {
	return &cobra.Command{
		Use:   "rollforward",
		Short: "Clear a hold, restore the declared variables and redeploy",
		Long: `Leave Held (or RolledBack): restore the declared variables on every
consumer and deploy each once. When ` + "`reconciler run`" + ` holds the state, the
command is handed to it through its control socket.

Exit 0 done, 1 failed (including: nothing to roll forward).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return manual(cmd.Context(), a, "rollforward", "")
		},
	}
}

// manual carries out a rollback or rollforward: through the running
// controller when one holds the state, else here, after a fresh read.
func manual(ctx context.Context, a *App, action, reason string) error {
	ctx = railway.Essential(ctx) // a rollback may use the reserve of the rate limit
	sp, err := loadSpec(a)
	if err != nil {
		return err
	}
	if sp.State.UsesPostgres() {
		return manualShared(ctx, a, sp, action, reason)
	}
	files := state.SingleFile(sp.State.Path, state.FileOptions{})
	if h, held, err := files.Holder(ctx, sp.Name); err != nil {
		return failure(err)
	} else if held {
		sock := controller.ControlSocketPath(sp.State.Path)
		if err := controller.SendControl(ctx, sock, action, reason); err != nil {
			return failure(fmt.Errorf("%s through the running controller (%s): %w", action, h, err))
		}
		_, err := fmt.Fprintf(a.Stdout, "%s done by the running controller (%s)\n", action, h)
		return err
	}
	built, err := buildApp(ctx, a, sp, app.StoreLocked, "reconciler "+action, reconcile.Hooks{})
	if err != nil {
		return err
	}
	defer built.Close()
	return manualHere(ctx, a, built.Reconciler, action, reason)
}

func manualHere(ctx context.Context, a *App, rec *reconcile.Reconciler, action, reason string) error {
	res := rec.Pass(ctx, reconcile.PassOptions{DryRun: true})
	if res.Err != nil && action == "rollforward" {
		return failure(fmt.Errorf("cannot roll forward without reading Railway: %w", res.Err))
	}
	var err error
	if action == "rollback" {
		err = rec.Rollback(ctx, reason)
	} else {
		err = rec.RollForward(ctx)
	}
	if err != nil {
		return failure(err)
	}
	st := rec.State()
	if len(st.Owed) > 0 {
		return failure(fmt.Errorf("%s recorded, but not written to %s yet (Railway unreachable?): the next apply or run writes it",
			action, strings.Join(st.Owed, ", ")))
	}
	_, err = fmt.Fprintf(a.Stdout, "%s: %s; phase %s\n", action, lastEvent(st), st.Phase)
	return err
}

func lastEvent(st *state.State) string {
	if n := len(st.Events); n > 0 {
		return st.Events[n-1].Message
	}
	return "done"
}
