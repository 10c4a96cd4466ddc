//go:build !nodemo

package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/demo"
)

const demoLong = `demo runs the whole product in one process, with no network and no account:
an in-process Railway simulator holding a project with a "backend" service,
a local Redis (redis-server from PATH, else an embedded Go Redis), a sample
app standing in for the backend, and the real controller (the code of
"reconciler run") with a generated spec and short intervals.

It narrates, in about fifteen seconds: the empty project, the Redis addon
created, the backend bound and healthy, Redis stopped, the rollback
(REDIS_URL="" and the app on its in-memory cache), Redis back, the roll
forward, and a drift report. It exits 0 when every step happened, 1 when one
did not happen in time (the message says which).

With --keep everything stays up afterwards, and demo prints the addresses
(/status, /metrics, the app's /v1/health, the simulated Railway endpoint),
the spec file and the commands to try (validate, status, plan, report,
rollback, rollforward, curl) until Ctrl-C (a second Ctrl-C exits at once).
Each printed command runs as it is, from another terminal: it names the
spec with -f and carries what it needs in an env prefix. Nothing is to be
exported: the demo's token is a throwaway only its simulator accepts.

The demo reads no credential from the environment: it registers a throwaway
token in the simulator. Its logs (stderr) show errors only unless
--log-level is given.`

// newDemoCmd is `reconciler demo [--keep] [--embedded-redis]`.
func newDemoCmd(app *App) *cobra.Command {
	var keep, embedded bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the sandbox: the real controller against a simulated Railway, narrated",
		Long:  demoLong,
		Example: `  reconciler demo                        # the story, about 15 seconds
  reconciler demo --keep                 # then keep it running and print what to try
  reconciler demo --log-level info       # with the components' logs on stderr`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := demoLogger(app, cmd.Flags().Changed("log-level"))
			if err != nil {
				return WithExitCode(ExitFailure, err)
			}
			stopSignals := watchSignals(app.Stderr) // a second Ctrl-C exits at once
			defer stopSignals()
			err = demo.Run(cmd.Context(), demo.Options{
				Out: app.Stdout, Logger: log, Keep: keep, EmbeddedRedis: embedded,
				Version: Build().Version, Now: app.Now, Program: programName(),
			})
			if err != nil && cmd.Context().Err() != nil && !errors.Is(err, demo.ErrStuck) {
				return WithExitCode(ExitFailure, errors.New("demo interrupted"))
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&keep, "keep", false, "leave everything running after the story and print how to explore it (until Ctrl-C)")
	cmd.Flags().BoolVar(&embedded, "embedded-redis", false, "use the embedded Go Redis even when redis-server is installed")
	return cmd
}

// programName is how `demo --keep` tells the user to run this binary:
// "reconciler" when that name on PATH is this binary (or this is not a
// reconciler binary at all: a test), else this binary's absolute path (go
// run's temporary build, or bin/reconciler), which runs from any terminal
// while the demo lasts.
func programName() string {
	exe, err := os.Executable()
	if err != nil || filepath.Base(exe) != "reconciler" {
		return "reconciler"
	}
	if onPath, err := exec.LookPath("reconciler"); err == nil && sameFile(onPath, exe) {
		return "reconciler"
	}
	return exe
}

func sameFile(a, b string) bool {
	ia, erra := os.Stat(a)
	ib, errb := os.Stat(b)
	return erra == nil && errb == nil && os.SameFile(ia, ib)
}

// demoLogger is the process logger when --log-level was given (or a test
// set one); otherwise the same format at error level, since the narration
// on stdout already tells what the info and warn lines would.
func demoLogger(app *App, levelSet bool) (*zap.Logger, error) {
	if levelSet || app.loggerOverride != nil {
		return app.Logger, nil
	}
	return newLogger(app.format(), "error", app.Stderr, app.Now)
}
