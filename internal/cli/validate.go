package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/spec"
)

// printHeader opens `validate --print`: a YAML comment, so that whoever
// finds the output saved in a file knows what it is.
const printHeader = "# %s as the reconciler reads it: defaults applied, secrets masked (***).\n" +
	"# For reading only: the masked values do not validate; edit the original.\n"

func newValidateCmd(app *App) *cobra.Command {
	var print bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Parse and validate the spec",
		Long: `Parse and validate the spec: print "FILE: ok" and exit 0, or print every
problem as FILE:LINE:COL: PATH: MESSAGE on stderr and exit 3.

With --print, write the spec as the reconciler reads it instead: every
default applied, interpolations resolved, secrets masked (***). It is for
reading, not a spec to feed back: the masked secrets (and a resolved
project id that looks like a token) do not validate.

A directory (every *.yaml/*.yml in it) or several -f validate a fleet:
one "FILE: ok" per valid file, then every problem of the others (a name
used by two files is a problem of both); exit 3 when any file is invalid.

Exit 0 valid, 3 invalid.`,
		Example: `  reconciler validate -f desired.yaml
  RECONCILER_FILE=desired.yaml reconciler validate
  reconciler validate -f desired.yaml --print    # the defaults, for reading
  reconciler validate -f specs/                  # a fleet: every spec file in specs/`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if fleetInput(app.Files) {
				return validateSet(app, print)
			}
			s, err := loadSpec(app)
			if err != nil {
				return err
			}
			return validated(app, s, print)
		},
	}
	specFlag(app, cmd)
	cmd.Flags().BoolVar(&print, "print", false, "print the spec with defaults applied and secrets masked (for reading: it does not validate as is)")
	return cmd
}

// validated prints s's verdict, or s itself with --print.
func validated(app *App, s *spec.Spec, print bool) error {
	if print {
		if _, err := fmt.Fprintf(app.Stdout, printHeader, s.File); err != nil {
			return err
		}
		return s.Print(app.Stdout)
	}
	if _, err := fmt.Fprintf(app.Stdout, "%s: ok\n", s.File); err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	return nil
}

// validateSet validates a fleet's spec files: each valid one is printed
// (or its verdict), then the problems of the others exit 3.
func validateSet(app *App, print bool) error {
	set, err := spec.LoadSet(app.Files, app.LookupEnv)
	if err != nil {
		return WithExitCode(ExitInvalid, err)
	}
	for i, s := range set.Specs {
		if print && i > 0 {
			if _, err := fmt.Fprintln(app.Stdout, "---"); err != nil {
				return err
			}
		}
		if err := validated(app, s, print); err != nil {
			return err
		}
	}
	if err := set.Err(); err != nil {
		return WithExitCode(ExitInvalid, err)
	}
	return nil
}
