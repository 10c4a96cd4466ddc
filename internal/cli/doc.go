// Package cli is the reconciler's command line (CONTRACT section 2): a cobra
// command tree whose root owns the global flags (-f/--file, --log-format,
// --log-level), builds the zap logger once, and maps every command's error to
// the documented exit codes.
//
// Adding a command takes one file and one line:
//
//	// plan.go
//	func newPlanCmd(app *App) *cobra.Command {
//		return &cobra.Command{
//			Use:   "plan",
//			Short: "Print every pending action",
//			Args:  cobra.NoArgs,
//			RunE: func(cmd *cobra.Command, _ []string) error {
//				s, err := loadSpec(app) // exit 3 on a bad spec
//				...
//				return WithExitCode(ExitDrift, nil) // changes pending
//			},
//		}
//	}
//
// and newPlanCmd appended to commands in root.go. A command gets everything
// from the *App (streams, environment, clock, logger, spec path) and its
// context from cmd.Context(), which is cancelled on SIGINT/SIGTERM. It must
// use RunE (not Run) and must not define PersistentPreRun hooks: the root
// wraps RunE to set up the logger. It returns an error instead of printing
// one: a *spec.Errors exits 3, an error from WithExitCode exits with its code,
// any other error exits 1; a flag or argument error exits 3 with the usage
// line.
package cli
