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
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

func newRollbackCmd(a *App) *cobra.Command {
	var reason, name string
	var all bool
	cmd := &cobra.Command{
		Use:   "rollback --reason TEXT",
		Short: "Roll the consumers back now and hold until rollforward",
		Long: `Write the rollback variables (REDIS_URL="" by default) to every consumer
and deploy each once, now. The phase becomes Held: nothing rolls forward
until someone runs rollforward. When ` + "`reconciler run`" + ` holds the state, the
command is handed to it through its control socket.

Exit 0 done, 1 failed.`,
		Example: `  reconciler rollback -f desired.yaml --reason "redis maintenance, INC-1234"
  cd /data && reconciler rollback --reason "redis maintenance"   # in the Railway service (railway ssh)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(reason) == "" {
				return &usageError{cmd: cmd, err: errors.New("--reason is required: say why, it is recorded and reported")}
			}
			return manualUnits(cmd, a, "rollback", reason, name, all)
		},
	}
	specFlag(a, cmd)
	nameFlag(cmd, &name)
	cmd.Flags().BoolVar(&all, "all", false, "in a fleet: roll back every unit (rollback acts on one unit unless --all says every one)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the state, the events and the notifications)")
	return cmd
}

func newRollforwardCmd(a *App) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "rollforward",
		Short: "Clear a hold, restore the declared variables and redeploy",
		Long: `Leave Held (or RolledBack): restore the declared variables on every
consumer and deploy each once. When ` + "`reconciler run`" + ` holds the state, the
command is handed to it through its control socket.

With nothing rolled back there is nothing to do: it says so and exits 0.

Exit 0 done (or nothing to do), 1 failed.`,
		Example: `  reconciler rollforward -f desired.yaml
  cd /data && reconciler rollforward   # in the Railway service (railway ssh)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return manualUnits(cmd, a, "rollforward", "", name, true)
		},
	}
	specFlag(a, cmd)
	nameFlag(cmd, &name)
	return cmd
}

// manualUnits carries out a rollback or rollforward on the units the
// command names: in a fleet, rollback needs --name or --all (rolling every
// unit back by mistake would be a fleet-wide outage of Redis).
func manualUnits(cmd *cobra.Command, a *App, action, reason, name string, all bool) error {
	ctx := cmd.Context()
	if name == "" && !all && isFleet(a) {
		return &usageError{cmd: cmd, err: errors.New("in a fleet, rollback needs --name NAME (a unit or a spec) or --all")}
	}
	return forUnits(cmd, a, name, false, railwayEnvs, func(sp *spec.Spec) error { return manualSpec(ctx, a, sp, action, reason) })
}

// manualSpec carries out a rollback or rollforward on one unit's spec.
func manualSpec(ctx context.Context, a *App, sp *spec.Spec, action, reason string) error {
	ctx = railway.Essential(ctx)
	if sp.State.UsesPostgres() {
		return manualShared(ctx, a, sp, action, reason)
	}
	files := state.SingleFile(sp.State.Path, state.FileOptions{})
	if h, held, err := files.Holder(ctx, sp.Name); err != nil {
		return failure(err)
	} else if held {
		return viaController(ctx, a, h, controller.ControlSocketPath(sp.State.Path), action, reason)
	}
	built, err := buildApp(ctx, a, sp, app.StoreLocked, "reconciler "+action, reconcile.Hooks{})
	if err != nil {
		return err
	}
	defer built.Close()
	return manualHere(ctx, a, built.Reconciler, action, reason)
}

// viaController hands the action to the controller holding the state.
func viaController(ctx context.Context, a *App, h state.Holder, sock, action, reason string) error {
	err := controller.SendControl(ctx, sock, action, reason)
	if errors.Is(err, reconcile.ErrNothingToRollForward) {
		return nothingToRollForward(a, err)
	}
	if err != nil {
		return failure(fmt.Errorf("%s through the running controller (%s): %w", action, h, err))
	}
	_, err = fmt.Fprintf(a.Stdout, "%s done by the running controller (%s)\n", action, h)
	return err
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
	if errors.Is(err, reconcile.ErrNothingToRollForward) {
		return nothingToRollForward(a, fmt.Errorf("%w (phase %s)", err, rec.State().Phase))
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

// nothingToRollForward is rollforward's answer when nothing is rolled
// back: a no-op, exit 0, said on stdout.
func nothingToRollForward(a *App, err error) error {
	_, werr := fmt.Fprintf(a.Stdout, "rollforward: %v; nothing done\n", err)
	return werr
}

func lastEvent(st *state.State) string {
	if n := len(st.Events); n > 0 {
		return st.Events[n-1].Message
	}
	return "done"
}
