package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

const runLong = `Run the long-running controller (how the reconciler lives as a Railway
service): a reconcile pass on schedule.reconcile (jittered ±10%), a probe
round on schedule.probe (a rollback or roll forward acts at once), a drift
report on schedule.report.

The spec file is watched, and SIGHUP reloads it: a valid edit applies from
the next tick; an invalid one is logged with its line and column and the last
valid spec keeps running (/status shows specValid: false).

HTTP, on --listen, else server.listen, else :$PORT, else :8080:
/healthz, /readyz, /metrics (Prometheus), /status (JSON). rollback and
rollforward reach the running controller through <state.path>.sock.

SIGTERM or SIGINT: finish the action in flight, persist the state, exit 0
within 10 s; a second signal exits at once with 1.

Exit 0 after a clean shutdown, 1 fatal (the state is locked by another
process, the token is rejected, the address is taken), 3 invalid spec or
--listen.`

// newRunCmd is `reconciler run [--listen ADDR]`.
func newRunCmd(app *App) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "run [--listen ADDR]",
		Short: "Run the long-running controller",
		Long:  runLong,
		Example: `  reconciler run -f desired.yaml
  reconciler run -f desired.yaml --listen 127.0.0.1:9090
  PORT=8081 reconciler run -f desired.yaml        # :8081, as on Railway`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("listen") {
				if err := checkListen(listen); err != nil {
					return &usageError{cmd: cmd, err: err}
				}
			}
			if fleetInput(app.Files) {
				return runFleet(cmd.Context(), app, listen)
			}
			sp, err := loadSpec(app) // exit 3 on a bad spec
			if err != nil {
				return err
			}
			if sp.Railway.Generated() {
				return runFleet(cmd.Context(), app, listen)
			}
			return runController(cmd.Context(), app, sp, listen)
		},
	}
	specFlag(app, cmd)
	cmd.Flags().StringVar(&listen, "listen", "", "HTTP listen address (default server.listen, else :$PORT, else :8080)")
	return cmd
}

// checkListen checks a listen address (HOST:PORT, :PORT) before anything
// starts, so that a typo exits 3 instead of failing at bind time.
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = net.LookupPort("tcp", port)
	}
	if err != nil {
		return fmt.Errorf("--listen %q is not an address: want HOST:PORT or :PORT, e.g. :8080 (%w)", addr, err)
	}
	return nil
}

// runFleet runs the controller over the specs at the -f paths: a file
// that does not load is shown as a unit with Ready=False (SpecInvalid)
// while the others run; a name used by two files, or no valid spec at
// all, exits 3.
func runFleet(ctx context.Context, app *App, listen string) error {
	set, err := spec.LoadSet(app.Files, app.LookupEnv)
	if err != nil {
		return WithExitCode(ExitInvalid, err)
	}
	if err := set.Err(); err != nil && (errors.Is(err, spec.ErrDuplicateName) || len(set.Specs) == 0) {
		return WithExitCode(ExitInvalid, err)
	}
	for _, f := range set.Invalid {
		for _, p := range f.Problems() {
			app.Logger.Error("spec rejected: its units are not run, the others are", zap.String("problem", p))
		}
	}
	load := func(paths []string) (*controller.SpecSet, error) {
		s, err := spec.LoadSet(paths, app.LookupEnv)
		if err != nil {
			return nil, err
		}
		return controllerSet(s), nil
	}
	sp := set.Specs[0]
	return runWith(ctx, app, controller.Options{
		SpecPath: set.Specs[0].File, Set: controllerSet(set), Paths: app.Files, LoadSet: load, Listen: listen,
		AuthToken: sp.Server.Auth.Token,
	})
}

// runController runs the controller of one spec until ctx ends
// (SIGTERM/SIGINT, see main), forwarding SIGHUP as a reload.
func runController(ctx context.Context, app *App, sp *spec.Spec, listen string) error {
	return runWith(ctx, app, controller.Options{SpecPath: app.File, Spec: sp, Listen: listen, AuthToken: sp.Server.Auth.Token})
}

// runWith runs a controller with o (completed with the App's) until ctx
// ends, forwarding SIGHUP as a reload.
func runWith(ctx context.Context, app *App, o controller.Options) error {
	stopSignals := watchSignals(app.Stderr)
	defer stopSignals()
	o.LookupEnv, o.Logger, o.Now, o.Stdout = app.LookupEnv, app.Logger, app.Now, app.Stdout
	o.Version, o.Commit = Build().Version, Build().Commit
	ctrl, err := controller.New(o)
	if err != nil {
		return failure(err)
	}
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP)
	defer func() {
		signal.Stop(hups)
		close(hups) // ends the forwarding goroutine
	}()
	go func() {
		for range hups {
			ctrl.Reload()
		}
	}()
	err = ctrl.Run(ctx)
	var locked *state.LockedError
	switch {
	case errors.As(err, &locked):
		return failure(fmt.Errorf("%w; stop it first (rollback and rollforward reach it through its control socket)", err))
	case err != nil:
		return failure(err)
	}
	return nil
}

// watchSignals makes a second SIGINT or SIGTERM exit at once with code 1:
// the first one (which main turns into ctx's cancellation) started a clean
// shutdown, the second says not to wait for it (the convention of
// Kubernetes' sample-controller, hence os.Exit here rather than in main).
// The returned func stops watching.
func watchSignals(stderr io.Writer) func() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		seen := 0
		for {
			select {
			case <-done:
				return
			case <-sigs:
				// Every registered channel gets every signal: the first one
				// here is the one main cancelled ctx for.
				if seen++; seen >= 2 {
					_, _ = fmt.Fprintln(stderr, "second signal: exiting now, without waiting for the shutdown")
					os.Exit(ExitFailure)
				}
			}
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
	}
}
