//go:build nodemo

package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// newDemoCmd is the demo's stand-in in a production build (-tags nodemo),
// which links neither the Railway simulator nor the embedded Redis.
func newDemoCmd(*App) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "The sandbox (not in this production build)",
		Long: `This binary was built with -tags nodemo (the container image is), so it
does not carry the sandbox: the Railway simulator and the embedded Redis.
Run the demo from a source checkout: go run ./cmd/reconciler demo`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return WithExitCode(ExitFailure, errors.New("this production build has no demo: run `go run ./cmd/reconciler demo` from a source checkout"))
		},
	}
}
