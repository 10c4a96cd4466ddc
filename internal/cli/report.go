package cli

import (
	"cmp"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

func newReportCmd(a *App) *cobra.Command {
	format := newEnum("", "markdown", "json")
	var out string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write one drift report now",
		Long: `Observe Railway and Redis once (writing nothing to Railway or the state),
build a drift report from the persisted state and that observation, and send
it to report.sinks in report.format. --format overrides the format; --out
PATH writes the report to PATH instead of the sinks (--out - : stdout).

Exit 0 no drift, 2 drift, 1 error (Railway unreadable, a sink failed),
3 invalid spec.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sp, err := loadSpec(a)
			if err != nil {
				return err
			}
			f, err := report.ParseFormat(cmp.Or(format.value, sp.Report.Format))
			if err != nil {
				return WithExitCode(ExitInvalid, err)
			}
			_, st, err := dryPass(cmd.Context(), a, sp)
			if err != nil {
				return err
			}
			r := report.Build(report.Input{Spec: sp, State: st, Now: a.Now()})
			if err := writeReport(cmd, a, sp.Report.Sinks, r, f, out); err != nil {
				return failure(err)
			}
			if !r.Clean() {
				return WithExitCode(ExitDrift, nil)
			}
			return nil
		},
	}
	cmd.Flags().Var(format, "format", "report format (default: the spec's report.format)")
	cmd.Flags().StringVar(&out, "out", "", "write the report to this file instead of the sinks (- for stdout)")
	return cmd
}

func writeReport(cmd *cobra.Command, a *App, sinks []spec.Sink, r *report.Report, f report.Format, out string) error {
	if out == "" {
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
	if out == "-" {
		_, err = a.Stdout.Write(b)
		return err
	}
	if err := state.WriteFileAtomic(out, b, 0o644); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
