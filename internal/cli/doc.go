// Package cli is the reconciler's command line: a cobra command tree whose
// root owns the global flags (--log-format, --log-level, --version), builds
// the zap logger once, and maps every command's error to the documented exit
// codes. The commands that read a spec, and only those, take -f/--file
// (specFlag), so that help shows it where it matters.
//
// Adding a command takes one file and one line:
//
//	// plan.go
//	func newPlanCmd(app *App) *cobra.Command {
//		cmd := &cobra.Command{
//			Use:     "plan",
//			Short:   "Print every pending action",
//			Example: "  reconciler plan -f desired.yaml",
//			Args:    cobra.NoArgs,
//			RunE: func(cmd *cobra.Command, _ []string) error {
//				s, err := loadSpec(app) // exit 3 on a bad spec
//				...
//				return WithExitCode(ExitDrift, nil) // changes pending
//			},
//		}
//		specFlag(app, cmd) // it reads a spec
//		return cmd
//	}
//
// and newPlanCmd appended to commands in root.go. Every command has an
// Example (TestEveryCommandHasExamples checks it). A command gets everything
// from the *App (streams, environment, clock, logger, spec path) and its
// context from cmd.Context(), which is cancelled on SIGINT/SIGTERM. It must
// use RunE (not Run) and must not define PersistentPreRun hooks: the root
// wraps RunE to set up the logger. It returns an error instead of printing
// one: a *spec.Errors exits 3, an error from WithExitCode exits with its code,
// any other error exits 1; a flag or argument error exits 3 with the usage
// line. Bare `reconciler` prints the help and exits 0.
package cli
