package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

func newPlanCmd(a *App) *cobra.Command {
	output := newEnum("text", "text", "json")
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would do, and why; change nothing",
		Long: `Observe Railway and Redis, run one probe round, and print every pending
action (create addon, set variable, deploy, roll back, roll forward) with
its reason. Nothing is written anywhere: no Railway mutation, no state file.

Exit 0 in sync, 2 changes pending or drift, 1 error, 3 invalid spec.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sp, err := loadSpec(a)
			if err != nil {
				return err
			}
			res, st, err := dryPass(cmd.Context(), a, sp)
			if err != nil {
				return err
			}
			if err := writePlan(a.Stdout, output.value, sp.Name, res, st.LastProbe); err != nil {
				return err
			}
			if res.Plan.Pending() || len(res.Plan.Drift) > 0 {
				return WithExitCode(ExitDrift, nil)
			}
			return nil
		},
	}
	cmd.Flags().Var(output, "output", "output format")
	return cmd
}

// planDoc is `plan --output json`.
type planDoc struct {
	Name    string                `json:"name"`
	Phase   state.Phase           `json:"phase"`
	InSync  bool                  `json:"inSync"`
	Actions []reconcile.Action    `json:"actions"`
	Drift   []reconcile.DriftItem `json:"drift"`
	Waiting []string              `json:"waiting"`
	Blocked []string              `json:"blocked"`
	Probe   *state.Probe          `json:"probe,omitempty"`
}

// writePlan prints a dry pass's plan as text or as a planDoc; probe is the
// pass's round as the state records it (what /status shows as lastProbe).
func writePlan(w io.Writer, format, name string, res *reconcile.Result, probe *state.Probe) error {
	p := res.Plan
	if format == "json" {
		doc := planDoc{Name: name, Phase: res.Phase, InSync: !p.Pending() && len(p.Drift) == 0,
			Actions: nonNil(p.Actions), Drift: nonNil(p.Drift), Waiting: nonNil(p.Waiting), Blocked: nonNil(p.Blocked),
			Probe: probe}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	if _, err := fmt.Fprintf(w, "%s: phase %s%s\n", name, res.Phase, roundNote(res)); err != nil {
		return err
	}
	return p.WriteText(w)
}

func roundNote(res *reconcile.Result) string {
	if res.Round == nil {
		return ""
	}
	if res.Round.Reason != "" {
		return fmt.Sprintf(" (redis %s: %s)", res.Round.Addon, res.Round.Reason)
	}
	return fmt.Sprintf(" (redis %s)", res.Round.Addon)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
