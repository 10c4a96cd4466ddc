package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/spec"
)

// doctorMargin is what doctor's whole run may take beyond probeTimeout per
// check: the Railway HTTP timeout (doctorRailwayTimeout) and some slack.
const doctorMargin = 5 * time.Second

// doctorCheck is one line of `doctor`, and one element of its JSON array
// (documented in docs/troubleshooting.md): the check's name, whether it
// passed, what was found, and, when it failed, what to do.
type doctorCheck struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

func doctorOK(name, detail string) doctorCheck {
	return doctorCheck{Check: name, OK: true, Detail: detail}
}

func doctorFail(name, detail, fix string) doctorCheck {
	return doctorCheck{Check: name, Detail: detail, Fix: fix}
}

const doctorLong = `A read-only preflight: check, one line each, everything the reconciler
needs before the first apply, and say how to fix what is wrong:

  spec        the spec is valid
  token       the Railway token is found and accepted, and its kind
              (a project token cannot create the addon)
  project     the project and the environment exist (names and ids)
  consumer/S  each consumer service exists in the environment
  addon       the addon service exists, or its template does
  variables   the services' variables are readable; references resolve
  rate-limit  Railway's rate limit as last seen (limit and remaining)
  redis       the Redis URL that would be probed (masked), and whether
              it answers from here
  endpoint/N  each health endpoint answers
  log/S       Railway accepts each log expectation's filter
  state       the state path is writable and its lock free (or who holds
              it); with the postgres backend, the database answers and
              who holds the lease
  webhook/N   each webhook sink's URL parses; --send-test posts a test
              message to each

It never changes anything in Railway (no mutation, at most 10 requests),
writes no state, and ends within probeTimeout per check plus 5 seconds even
when every host hangs. A check that needs an earlier one (the project needs
a token) is left out when that one failed.

Exit 0 when every check passes, 1 otherwise, 3 when the spec is invalid.`

func newDoctorCmd(a *App) *cobra.Command {
	output := newEnum("text", "text", "json")
	var sendTest bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the spec, the token, the project, Redis and the state before the first apply",
		Long:  doctorLong,
		Example: `  reconciler doctor -f desired.yaml
  reconciler doctor --output json
  reconciler doctor --send-test`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), a, output.value, sendTest)
		},
	}
	specFlag(a, cmd)
	cmd.Flags().Var(output, "output", "output format")
	cmd.Flags().BoolVar(&sendTest, "send-test", false, "post a test message to each webhook sink")
	return cmd
}

// runDoctor runs every check and prints them; the error carries the exit
// code.
func runDoctor(ctx context.Context, a *App, format string, sendTest bool) error {
	sp, err := spec.Load(a.File, a.LookupEnv)
	if err != nil {
		detail := fmt.Sprintf("%s cannot be used: each problem is printed on stderr", a.File)
		if format == "json" {
			detail = fmt.Sprintf("%s cannot be used: %s", a.File, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		checks := []doctorCheck{doctorFail("spec", detail,
			"fix each problem (docs/spec.md lists every message and what it means); with no spec yet, write one with reconciler init")}
		if werr := writeDoctor(a.Stdout, format, checks); werr != nil {
			return werr
		}
		return WithExitCode(ExitInvalid, err)
	}
	d := newDoctor(a, sp, sendTest)
	defer d.close()
	ctx, cancel := context.WithTimeout(ctx, d.deadline())
	defer cancel()
	checks := append([]doctorCheck{doctorOK("spec", fmt.Sprintf("%s is valid (%s)", sp.File, sp.Name))}, d.run(ctx)...)
	if err := writeDoctor(a.Stdout, format, checks); err != nil {
		return err
	}
	for _, c := range checks {
		if !c.OK {
			return WithExitCode(ExitFailure, nil)
		}
	}
	return nil
}

// writeDoctor prints the checks as text lines or as a JSON array.
func writeDoctor(w io.Writer, format string, checks []doctorCheck) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(checks)
	}
	width := 0
	for _, c := range checks {
		width = max(width, len(c.Check))
	}
	var b strings.Builder
	failures := 0
	for _, c := range checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
			failures++
		}
		fmt.Fprintf(&b, "%s %-*s  %s\n", mark, width, c.Check, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(&b, "  %-*s  fix: %s\n", width, "", c.Fix)
		}
	}
	if failures == 0 {
		fmt.Fprintf(&b, "\nall %d checks passed\n", len(checks))
	} else {
		fmt.Fprintf(&b, "\n%d of %d checks failed\n", failures, len(checks))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
