package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time to override what Go's build information says (the
// Makefile and the Dockerfile do; a container build has no .git to stamp):
//
//	go build -ldflags "-X github.com/smartlic/reconciler/internal/cli.version=v1.2.3 -X github.com/smartlic/reconciler/internal/cli.commit=abc1234 -X github.com/smartlic/reconciler/internal/cli.date=2025-01-01T00:00:00Z"
//
// They are variables only because -X needs them to be. Empty, "dev" and
// "unknown" mean "not set".
var (
	version = "dev"
	commit  = "unknown"
	date    = ""
)

// Unset values of BuildInfo.
const (
	unknownVersion = "dev"
	unknownValue   = "unknown"
)

// BuildInfo identifies the running binary.
type BuildInfo struct {
	// Version is the -ldflags version, else the main module's version as
	// Go stamps it (a tag, or a pseudo-version in a git checkout), else "dev".
	Version string
	// Commit is the -ldflags commit, else the VCS revision Go stamps
	// (vcs.revision, with "-dirty" when vcs.modified), else "unknown".
	Commit string
	// Time is when the binary was built: the -ldflags date, else the
	// commit's time (vcs.time), else "unknown". RFC 3339.
	Time string
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
}

// Build returns what identifies this binary (version, commit, build time,
// Go version): the -ldflags values when set, else Go's build information
// (runtime/debug.ReadBuildInfo, with VCS stamping), else "dev"/"unknown".
// The controller exports it as reconciler_build_info.
func Build() BuildInfo {
	info, _ := debug.ReadBuildInfo() // nil without build information
	return buildInfo(info, version, commit, date)
}

// buildInfo merges the -ldflags values over the build information.
func buildInfo(info *debug.BuildInfo, version, commit, date string) BuildInfo {
	b := BuildInfo{Version: unknownVersion, Commit: unknownValue, Time: unknownValue, GoVersion: runtime.Version()}
	var rev, vcsTime, dirty string
	if info != nil {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			b.Version = v
		}
		if info.GoVersion != "" {
			b.GoVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
	}
	if rev != "" {
		b.Commit = rev + dirty
	}
	if vcsTime != "" {
		b.Time = vcsTime
	}
	if set(version, unknownVersion) {
		b.Version = version
	}
	if set(commit, unknownValue) {
		b.Commit = commit
	}
	if set(date, unknownValue) {
		b.Time = date
	}
	return b
}

// set reports whether an -ldflags value was given.
func set(v, unset string) bool { return v != "" && v != unset }

func newVersionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build time and Go version",
		Long: `Print what identifies this binary: its version, the VCS commit it was built
from ("-dirty" when the work tree had changes), when it was built, and the Go
version. A deployed image's /metrics shows the same as reconciler_build_info.`,
		Example: "  reconciler version",
		Args:    cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			b := Build()
			_, err := fmt.Fprintf(app.Stdout, "version: %s\ncommit: %s\nbuilt: %s\ngo: %s\n", b.Version, b.Commit, b.Time, b.GoVersion)
			return err
		},
	}
}
