package cli

import (
	"fmt"

	"github.com/spf13/cobra"
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

Exit 0 valid, 3 invalid.`,
		Example: `  reconciler validate -f desired.yaml
  RECONCILER_FILE=desired.yaml reconciler validate
  reconciler validate -f desired.yaml --print    # the defaults, for reading`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			s, err := loadSpec(app)
			if err != nil {
				return err
			}
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
		},
	}
	specFlag(app, cmd)
	cmd.Flags().BoolVar(&print, "print", false, "print the spec with defaults applied and secrets masked (for reading: it does not validate as is)")
	return cmd
}
