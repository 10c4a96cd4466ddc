package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newValidateCmd(app *App) *cobra.Command {
	var print bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Parse and validate the spec",
		Long: `Parse and validate the spec: print "FILE: ok" and exit 0, or print every
problem as FILE:LINE:COL: PATH: MESSAGE on stderr and exit 3. With --print,
write the spec with every default applied and secrets masked instead.`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			s, err := loadSpec(app)
			if err != nil {
				return err
			}
			if print {
				return s.Print(app.Stdout)
			}
			if _, err := fmt.Fprintf(app.Stdout, "%s: ok\n", s.File); err != nil {
				return fmt.Errorf("writing the result: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&print, "print", false, "print the spec with defaults applied and secrets masked")
	return cmd
}
