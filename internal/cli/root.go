package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// commands builds every subcommand, in help order. To add one, write
// newXxxCmd(app *App) *cobra.Command in its own file and list it here.
var commands = []func(*App) *cobra.Command{
	newValidateCmd,
	newDemoCmd,
	newVersionCmd,
	newPlanCmd,
	newApplyCmd,
	newStatusCmd,
	newRollbackCmd,
	newRollforwardCmd,
	newReportCmd,
	newRunCmd,
	newSchemaCmd,
	newDoctorCmd,
	newInitCmd,
}

const rootLong = `reconciler keeps a Redis addon on Railway provisioned, wired into the
services that use it, healthy, and rolls those services back to REDIS_URL=""
when Redis goes bad. It reads a declarative spec (desired.yaml; see
docs/spec.md).

Exit codes: 0 ok, 1 something outside failed (network, auth, API),
2 drift or changes pending, 3 invalid input (fix the spec or the flags).

Environment: RAILWAY_API_TOKEN (or RAILWAY_TOKEN), RECONCILER_FILE.`

// newRoot builds the command tree with the global flags.
func newRoot(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:           "reconciler <command> [flags]",
		Short:         "Reconcile a Redis addon on Railway with its declared state",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{cmd: cmd, err: errors.New("a command is required")}
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(app.Stdout)
	root.SetErr(app.Stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: err}
	})

	app.logFormat = newEnum("", "json", "console")
	app.logLevel = newEnum("info", "debug", "info", "warn", "error")
	pf := root.PersistentFlags()
	pf.StringVarP(&app.file, "file", "f", "desired.yaml", "the spec file (env RECONCILER_FILE)")
	pf.Var(app.logFormat, "log-format", "log format (default console on a terminal, json otherwise)")
	pf.Var(app.logLevel, "log-level", "log level")

	for _, build := range commands {
		cmd := build(app)
		app.wrap(cmd)
		root.AddCommand(cmd)
	}
	return root
}

// wrap makes cmd and its subcommands record that they ran and set up the
// App (spec path, logger) before their own RunE.
func (app *App) wrap(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			app.ran = true
			if err := app.setup(c.Flags()); err != nil {
				return WithExitCode(ExitFailure, err)
			}
			return run(c, args)
		}
	}
	for _, sub := range cmd.Commands() {
		app.wrap(sub)
	}
}
