package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/spec"
)

func newSchemaCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the spec (version 1)",
		Long: `Print the JSON Schema (draft 2020-12) of spec version 1: every field, its type,
default, allowed values and description. Editors that validate YAML through a
schema (yaml-language-server: VS Code, Neovim, JetBrains) use it for completion
and checks as you type; docs/spec.schema.json is this output. Add the modeline

  # yaml-language-server: $schema=PATH/TO/spec.schema.json

at the top of desired.yaml. The schema checks the file as written (values may
be ${NAME} interpolations); rules that need the environment or several fields
at once are checked by 'reconciler validate' only.`,
		Example: "  reconciler schema > spec.schema.json",
		Args:    cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			data, err := spec.Schema()
			if err != nil {
				return err
			}
			if _, err := app.Stdout.Write(data); err != nil {
				return fmt.Errorf("writing the schema: %w", err)
			}
			return nil
		},
	}
}
