package cli

import (
	"cmp"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
)

func newReportCmd(a *App) *cobra.Command {
	format := newEnum("", "markdown", "json")
	var out string
	var timeout time.Duration
	var name string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write one drift report now",
		Long: `Observe Railway and Redis once (writing nothing to Railway or the state),
build a drift report from the persisted state and that observation, and send
it to report.sinks in report.format. --format overrides the format.

--out PATH writes the report to PATH instead of the sinks, without
clobbering what PATH is: - is stdout; a device or a FIFO (/dev/stdout,
/dev/null) is written through; a symlink is followed and its target gets the
report; a regular file is replaced atomically, keeping its mode. A
directory or a read-only file (no write bit, even for root) is refused
with exit 3, before Railway is read.

--timeout bounds the observation, Railway's retries included (default 30s);
the sinks' deliveries are bounded by their own retries.

Exit 0 no drift, 2 drift, 1 error (Railway unreadable, a sink failed),
3 invalid spec or --out.`,
		Example: `  reconciler report -f desired.yaml                       # to the spec's sinks
  reconciler report -f desired.yaml --out -               # to stdout only
  reconciler report -f desired.yaml --format json --out drift.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := positive(cmd, "--timeout", timeout); err != nil {
				return err
			}
			var dest *outTarget
			if out != "" {
				t, err := checkOut(out)
				if err != nil {
					return err
				}
				dest = &t
			}
			var inputs []report.Input
			var first *spec.Spec
			err := forUnits(cmd, a, name, false, railwayEnvs, func(sp *spec.Spec) error {
				_, st, err := dryPass(cmd.Context(), a, sp, timeout)
				if err != nil {
					return err
				}
				if first == nil {
					first = sp
				}
				inputs = append(inputs, report.Input{Spec: sp, State: st, Now: a.Now()})
				return nil
			})
			if err != nil || len(inputs) == 0 {
				return err
			}
			f, err := report.ParseFormat(cmp.Or(format.value, first.Report.Format))
			if err != nil {
				return WithExitCode(ExitInvalid, err)
			}
			doc := report.BuildAll(inputs) // several units: one fleet report
			if err := writeReport(cmd, a, first.Report.Sinks, doc, f, dest); err != nil {
				return failure(err)
			}
			if !clean(doc) {
				return WithExitCode(ExitDrift, nil)
			}
			return nil
		},
	}
	specFlag(a, cmd)
	nameFlag(cmd, &name)
	cmd.Flags().Var(format, "format", "report format (default: the spec's report.format)")
	cmd.Flags().StringVar(&out, "out", "", "write the report to this path instead of the sinks (- for stdout)")
	cmd.Flags().DurationVar(&timeout, "timeout", defaultOneShotTimeout, "give up reading Railway after this long, retries included")
	return cmd
}

// writeReport sends r to the spec's sinks, or to dest when --out was given.
func writeReport(cmd *cobra.Command, a *App, sinks []spec.Sink, r report.Document, f report.Format, dest *outTarget) error {
	if dest == nil {
		s, err := report.NewSinks(sinks, report.SinkOptions{Stdout: a.Stdout, Logger: a.Logger, Now: a.Now})
		if err != nil {
			return err
		}
		return s.Deliver(cmd.Context(), r, f)
	}
	b, err := r.Render(f)
	if err != nil {
		return err
	}
	return dest.write(b, a.Stdout)
}

// clean reports whether a report (single or fleet) shows no drift.
func clean(d report.Document) bool {
	for _, r := range report.UnitReports(d) {
		if !r.Clean() {
			return false
		}
	}
	return true
}
