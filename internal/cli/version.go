package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time (see the Makefile):
//
//	go build -ldflags "-X github.com/smartlic/reconciler/internal/cli.version=v1.2.3 -X github.com/smartlic/reconciler/internal/cli.commit=abc1234"
//
// They are variables only because -X needs them to be.
var (
	version = "dev"
	commit  = "unknown"
)

// BuildInfo identifies the running binary.
type BuildInfo struct {
	Version   string
	Commit    string
	GoVersion string
}

// Build returns the binary's version and commit, from -ldflags when set, else
// from the module and VCS information Go embeds (go install pkg@version, a
// build inside a git checkout), else "dev" and "unknown".
func Build() BuildInfo {
	b := BuildInfo{Version: version, Commit: commit, GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if b.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	if b.Commit == "unknown" {
		var rev, dirty string
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				rev = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "-dirty"
			}
		}
		if rev != "" {
			b.Commit = rev + dirty
		}
	}
	return b
}

func newVersionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			b := Build()
			_, err := fmt.Fprintf(app.Stdout, "version: %s\ncommit: %s\ngo: %s\n", b.Version, b.Commit, b.GoVersion)
			return err
		},
	}
}
