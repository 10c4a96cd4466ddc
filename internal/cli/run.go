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
			sp, err := loadSpec(app) // exit 3 on a bad spec
			if err != nil {
				return err
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

// runController runs the controller until ctx ends (SIGTERM/SIGINT, see
// main), forwarding SIGHUP as a reload.
func runController(ctx context.Context, app *App, sp *spec.Spec, listen string) error {
	stopSignals := watchSignals(app.Stderr)
	defer stopSignals()
	ctrl, err := controller.New(controller.Options{
		SpecPath: app.File, Spec: sp, Listen: listen, LookupEnv: app.LookupEnv,
		Logger: app.Logger, Version: Build().Version, Commit: Build().Commit, Now: app.Now, Stdout: app.Stdout,
		AuthToken: sp.Server.Auth.Token,
	})
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
