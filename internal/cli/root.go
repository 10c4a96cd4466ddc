package cli

import (
	"fmt"

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

const rootExample = `  reconciler demo                      # the whole story against a simulated Railway, offline
  reconciler validate -f desired.yaml  # check a spec
  reconciler plan -f desired.yaml      # what would change, and why (exit 2: changes pending)
  reconciler completion bash > /etc/bash_completion.d/reconciler`

// newRoot builds the command tree with the global flags.
func newRoot(app *App) *cobra.Command {
	b := Build()
	var version bool
	root := &cobra.Command{
		Use:           "reconciler <command> [flags]",
		Short:         "Reconcile a Redis addon on Railway with its declared state",
		Long:          rootLong,
		Example:       rootExample,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Bare `reconciler` prints the help and exits 0, as git and kubectl do.
		RunE: func(cmd *cobra.Command, _ []string) error {
			if version {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "reconciler %s (commit %s, %s)\n", b.Version, b.Commit, b.GoVersion)
				return err
			}
			return cmd.Help()
		},
	}
	// --version is a flag of ours, not cobra's: cobra prints its version
	// through text/template, whose reflective method calls would keep every
	// method of every type in the binary (go-redis's alone: 8 MB) and cost
	// the process its memory (docs/performance.md, "Binary size").
	root.Flags().BoolVarP(&version, "version", "v", false, "print the version and exit")
	root.SetOut(app.Stdout)
	root.SetErr(app.Stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd, err: err}
	})

	app.logFormat = newEnum("", "json", "console")
	app.logLevel = newEnum("info", "debug", "info", "warn", "error")
	pf := root.PersistentFlags()
	pf.Var(app.logFormat, "log-format", "log format (default console on a terminal, json otherwise)")
	pf.Var(app.logLevel, "log-level", "log level")

	for _, build := range commands {
		cmd := build(app)
		app.wrap(cmd)
		root.AddCommand(cmd)
	}
	addCompletion(app, root)
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag() // now, not at Execute: the docs tests look flags up
	for _, c := range root.Commands() {
		if c.Example == "" {
			c.Example = fallbackExamples[c.Name()]
		}
	}
	return root
}

// fallbackExamples are the examples of commands whose files give none.
var fallbackExamples = map[string]string{
	"version": "  reconciler version\n  reconciler --version",
	"schema":  "  reconciler schema > reconciler.schema.json",
}

// specFlag gives cmd the -f/--file flag: every command that reads a spec
// calls it (and only those, so that help shows -f where it matters).
// RECONCILER_FILE stands in when the flag is not given (see setup).
func specFlag(app *App, cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&app.files, "file", "f", nil,
		"the spec file (default desired.yaml; env RECONCILER_FILE), or a directory of spec files; repeat for several (a fleet)")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml") // cannot fail: the flag was just added
}

// addCompletion adds cobra's `completion` command (bash, zsh, fish,
// powershell), with examples.
func addCompletion(app *App, root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Example = `  source <(reconciler completion bash)               # this bash session
  reconciler completion bash > /etc/bash_completion.d/reconciler
  reconciler completion zsh > "${fpath[1]}/_reconciler"
  reconciler completion fish > ~/.config/fish/completions/reconciler.fish
  reconciler completion powershell | Out-String | Invoke-Expression`
		// Without a RunE cobra prints the help and exits 0 for any
		// argument; with it, an unknown shell is a usage error (exit 3).
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		app.wrap(c)
	}
}

// wrap makes cmd and its subcommands record that they ran and set up the
// App (spec path, logger) before their own RunE.
func (app *App) wrap(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			app.ran = true
			if err := app.setup(c.Flags()); err != nil {
				return err
			}
			return run(c, args)
		}
	}
	for _, sub := range cmd.Commands() {
		app.wrap(sub)
	}
}
