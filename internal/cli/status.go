package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// statusEvents is how many recent events `status` prints as text.
const statusEvents = 10

func newStatusCmd(a *App) *cobra.Command {
	output := newEnum("text", "text", "json")
	var path, unit string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the persisted state: phase, conditions, recent events",
		Long: `Print the persisted state (phase, conditions, drift, last probe round,
recent events) from the state file alone: no Railway access, no token. The
file is --state, else the spec's state.path. --output json prints the status
document of /status.

With state.backend postgres it reads the shared state and names the
replica that leads the unit (or says that none does).

A state whose phase this build does not know, or (when the spec is read)
that belongs to another spec's name, is refused rather than shown.

Exit 0, or 1 when there is no state yet or it cannot be shown.`,
		Example: `  reconciler status -f desired.yaml
  reconciler status --state /data/.reconciler/state.json --output json | jq .phase`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if path != "" && !cmd.Flags().Changed("file") {
				st, err := readStatus(path, "")
				if err != nil {
					return err
				}
				return printStatus(a, st, output.value)
			}
			return forUnits(cmd, a, unit, output.value == "json", stateEnvs, func(sp *spec.Spec) error {
				if sp.State.UsesPostgres() && path == "" {
					doc, err := sharedStatus(cmd.Context(), a, sp)
					if err != nil {
						return failure(err)
					}
					return printDoc(a, doc, output.value, true)
				}
				p := path
				if p == "" {
					p = sp.State.Path
				}
				st, err := readStatus(p, sp.Name)
				if err != nil {
					return err
				}
				return printStatus(a, st, output.value)
			})
		},
	}
	specFlag(a, cmd)
	nameFlag(cmd, &unit)
	cmd.Flags().Var(output, "output", "output format")
	cmd.Flags().StringVar(&path, "state", "", "the state file (default: the spec's state.path)")
	return cmd
}

// printStatus prints a state's status document, as JSON or for a person.
func printStatus(a *App, st *state.State, output string) error {
	return printDoc(a, reconcile.StatusOf(st), output, false)
}

// printDoc prints a status document, as JSON or for a person; shared says
// that it comes from the shared store, where a unit may have no leader.
func printDoc(a *App, doc reconcile.Status, output string, shared bool) error {
	if output == "json" {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	return writeStatus(a.Stdout, doc, a.Now(), shared)

}

// readStatus reads the state at path for status, refusing one that this
// build cannot show truthfully: an unknown phase (state.Read refuses it as
// not a reconciler state), or the state of another spec (name, when not
// "", is the spec's). Errors exit 1.
func readStatus(path, name string) (*state.State, error) {
	st, err := state.Read(path)
	switch {
	case errors.Is(err, state.ErrNoState):
		return nil, failure(fmt.Errorf("no state at %s: nothing has been applied yet (run `reconciler apply` or `reconciler run`)", path))
	case err != nil:
		return nil, failure(err)
	case name != "" && st.Name != name:
		return nil, failure(fmt.Errorf("state %s belongs to %q, not to this spec's %q: check -f and state.path", path, st.Name, name))
	}
	return st, nil
}

// writeStatus prints the status document for a person, with who leads the
// unit when the document comes from the shared store (shared).
func writeStatus(w io.Writer, s reconcile.Status, now time.Time, shared bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s: %s since %s (%s ago), mode %s\n", s.Name, s.Phase, s.Since.UTC().Format(time.RFC3339), ago(now, s.Since), s.Mode)
	if s.HoldReason != "" {
		fmt.Fprintf(tw, "held: %s\n", s.HoldReason)
	}
	switch {
	case s.Leader != "":
		fmt.Fprintf(tw, "leader: %s, lease until %s\n", s.Leader, s.LeaseExpires.UTC().Format(time.RFC3339))
	case shared:
		fmt.Fprintln(tw, "leader: none: no replica holds the lease, so nothing probes Redis or rolls back (is `reconciler run` up?)")
	}
	fmt.Fprintln(tw, "\nCONDITION\tSTATUS\tREASON\tMESSAGE")
	for _, c := range s.Conditions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, c.Message)
	}
	if len(s.Drift) > 0 {
		fmt.Fprintln(tw, "\nDRIFT\tSERVICE\tNAME\tDESIRED\tACTUAL")
		for _, d := range s.Drift {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Kind, d.Service, d.Name, quoteOr(d.Desired, d.Message), quoteOr(d.Actual, ""))
		}
	}
	for _, b := range s.Blocked {
		fmt.Fprintf(tw, "blocked: %s\n", b)
	}
	if p := s.LastProbe; p != nil {
		fmt.Fprintf(tw, "\nlast probe %s: redis %s%s\n", p.At.UTC().Format(time.RFC3339), p.Verdict, prefixed(": ", p.Reason))
		for _, c := range p.Checks {
			fmt.Fprintf(tw, "  %s\t%s\t%.1fms\t%s\n", c.Name, okWord(c.OK), c.LatencyMs, c.Message)
		}
	}
	writeEvents(tw, s.Events)
	return tw.Flush()
}

func writeEvents(w io.Writer, evs []state.Event) {
	if len(evs) == 0 {
		return
	}
	if len(evs) > statusEvents {
		evs = evs[len(evs)-statusEvents:]
	}
	fmt.Fprintln(w, "\nRECENT EVENTS")
	for _, e := range evs {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", e.At.UTC().Format(time.RFC3339), e.Type, e.Message)
	}
}

func ago(now, t time.Time) string { return now.Sub(t).Round(time.Second).String() }

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

func quoteOr(v, alt string) string {
	if v == "" && alt != "" {
		return alt
	}
	return fmt.Sprintf("%q", v)
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + strings.TrimPrefix(s, "redis: ")
}
