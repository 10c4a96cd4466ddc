package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// defaultOneShotTimeout bounds the whole of a plan or a report: every
// Railway request with its retries and the probe round.
const defaultOneShotTimeout = 30 * time.Second

func newPlanCmd(a *App) *cobra.Command {
	output := newEnum("text", "text", "json")
	var timeout time.Duration
	var name string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would do, and why; change nothing",
		Long: `Observe Railway and Redis, run one probe round, and print every pending
action (create addon, set variable, deploy, roll back, roll forward) with
its reason, what is in progress (waiting:), what needs a person (blocked:)
and every drift item (drift:). Nothing is written anywhere: no Railway
mutation, no state file.

--timeout bounds the whole command, Railway's retries included (default
30s): against a Railway that does not answer, plan fails with exit 1 once
it is spent.

Exit 0 in sync, 2 changes pending or drift, 1 error, 3 invalid spec.`,
		Example: `  reconciler plan -f desired.yaml
  reconciler plan -f desired.yaml --output json | jq .actions
  reconciler plan -f desired.yaml --timeout 2m    # a slow network`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := positive(cmd, "--timeout", timeout); err != nil {
				return err
			}
			return forUnits(cmd, a, name, output.value == "json", railwayEnvs, func(sp *spec.Spec) error {
				res, st, err := dryPass(cmd.Context(), a, sp, timeout)
				if err != nil {
					return err
				}
				if err := writePlan(a.Stdout, output.value, sp.Name, res, st.LastProbe); err != nil {
					return err
				}
				return planExit(res)
			})
		},
	}
	specFlag(a, cmd)
	nameFlag(cmd, &name)
	cmd.Flags().Var(output, "output", "output format")
	cmd.Flags().DurationVar(&timeout, "timeout", defaultOneShotTimeout, "give up after this long, Railway's retries included")
	return cmd
}

// planExit is plan's exit: 2 (silently) when anything is pending, drifted or
// blocked, else 0.
func planExit(res *reconcile.Result) error {
	if p := res.Plan; p.Pending() || len(p.Drift) > 0 || len(p.Blocked) > 0 {
		return WithExitCode(ExitDrift, nil)
	}
	return nil
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
	return writePlanText(w, p)
}

// writePlanText prints the actions, waiting and blocked lines, then one
// "drift:" line per drift item, so that the text shows all the JSON does.
func writePlanText(w io.Writer, p *reconcile.Plan) error {
	var b bytes.Buffer
	if err := p.WriteText(&b); err != nil {
		return err
	}
	if len(p.Drift) > 0 && !p.Pending() && len(p.Waiting) == 0 && len(p.Blocked) == 0 {
		b.Reset() // not "no changes: in sync": there is drift
	}
	for _, d := range p.Drift {
		b.WriteString("drift: " + driftLine(d) + "\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// driftLine describes one drift item: "variable backend REDIS_URL: is "",
// want "${{Redis.REDIS_URL}}"" (values are already masked).
func driftLine(d reconcile.DriftItem) string {
	subject := strings.Join(nonEmpty(d.Kind, d.Service, d.Name), " ")
	var parts []string
	if d.Desired != "" || d.Actual != "" {
		parts = append(parts, fmt.Sprintf("is %q, want %q", d.Actual, d.Desired))
	}
	if d.Message != "" {
		parts = append(parts, d.Message)
	}
	if len(parts) == 0 {
		return subject
	}
	return subject + ": " + strings.Join(parts, "; ")
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
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
