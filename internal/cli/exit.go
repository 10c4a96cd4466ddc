package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/spec"
)

// Exit codes (CONTRACT section 2).
const (
	// ExitOK: success (valid, in sync, converged, no drift).
	ExitOK = 0
	// ExitFailure: something outside failed (network, auth, API, timeout).
	ExitFailure = 1
	// ExitDrift: there is drift, or changes are pending (Terraform's
	// -detailed-exitcode convention).
	ExitDrift = 2
	// ExitInvalid: the input is wrong; fix the spec or the flags.
	ExitInvalid = 3
)

// ExitError carries an exit code out of a command. Err, when not nil, is
// printed on stderr; a nil Err exits silently (ExitDrift after a plan).
type ExitError struct {
	Code int
	Err  error
}

// Error returns Err's message, or the bare exit code.
func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e *ExitError) Unwrap() error { return e.Err }

// WithExitCode makes a command exit with code, printing err when not nil.
func WithExitCode(code int, err error) error { return &ExitError{Code: code, Err: err} }

// usageError is a flag or argument problem: exit 3 with the usage line.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitCode prints err on stderr and returns the exit code it maps to. cmd is
// the command that ran (or failed to parse); ran tells whether its RunE was
// reached, so that cobra's untyped parsing errors (unknown command, wrong
// arguments, missing required flag) count as usage errors.
func exitCode(stderr io.Writer, cmd *cobra.Command, err error, ran bool) int {
	if err == nil {
		return ExitOK
	}
	var (
		usage *usageError
		exit  *ExitError
		errs  *spec.Errors
	)
	switch {
	case errors.As(err, &usage):
		printUsage(stderr, usage.cmd, usage.err)
		return ExitInvalid
	case errors.As(err, &exit):
		if exit.Err != nil {
			printError(stderr, exit.Err)
		}
		return exit.Code
	case errors.As(err, &errs):
		printError(stderr, err)
		return ExitInvalid
	case !ran:
		printUsage(stderr, cmd, err)
		return ExitInvalid
	}
	printError(stderr, err)
	return ExitFailure
}

// printError writes spec errors as their own lines and anything else as
// "error: MESSAGE".
func printError(w io.Writer, err error) {
	var errs *spec.Errors
	if errors.As(err, &errs) {
		_, _ = fmt.Fprintln(w, errs.Error())
		return
	}
	_, _ = fmt.Fprintf(w, "error: %v\n", err)
}

func printUsage(w io.Writer, cmd *cobra.Command, err error) {
	_, _ = fmt.Fprintf(w, "error: %v\nusage: %s\nrun '%s --help' for more\n", err, cmd.UseLine(), cmd.CommandPath())
}

// ExitCodeOf returns the exit code err maps to, without printing it.
func ExitCodeOf(err error) int {
	var (
		usage *usageError
		exit  *ExitError
		errs  *spec.Errors
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage), errors.As(err, &errs) && !errors.As(err, &exit):
		return ExitInvalid
	case errors.As(err, &exit):
		return exit.Code
	}
	return ExitFailure
}
