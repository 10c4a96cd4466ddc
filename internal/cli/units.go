package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/spec"
)

// A fleet on the command line: -f names a file, a directory of spec files,
// or several of either; a spec may generate a unit per environment. The
// commands that act on units (plan, report, status, rollback, rollforward)
// take --name NAME (a unit, NAME/ENV, or a spec: all its units); without
// it they act on every unit, except rollback, which needs --name or --all.

// fleetInput reports whether the -f paths make a fleet: several paths, or
// a directory.
func fleetInput(files []string) bool {
	if len(files) > 1 {
		return true
	}
	fi, err := os.Stat(files[0])
	return err == nil && fi.IsDir()
}

// loadSet loads the specs at the -f paths; any problem (a file that does
// not load, a name used by two files) exits 3 for a one-shot command.
func loadSet(a *App) (*spec.Set, error) {
	set, err := spec.LoadSet(a.Files, a.LookupEnv)
	if err != nil {
		return nil, WithExitCode(ExitInvalid, err)
	}
	if err := set.Err(); err != nil {
		return nil, WithExitCode(ExitInvalid, err)
	}
	return set, nil
}

// controllerSet is a spec set as the controller takes it.
func controllerSet(set *spec.Set) *controller.SpecSet {
	out := &controller.SpecSet{Specs: set.Specs}
	for _, f := range set.Invalid {
		out.Invalid = append(out.Invalid, controller.InvalidFile{File: f.File, Problems: f.Problems()})
	}
	return out
}

// unitsOf expands the specs into the units a command acts on, selected by
// name ("" for all). A generator's environments come from envs.
func unitsOf(specs []*spec.Spec, name string, envs func(sp *spec.Spec) ([]string, error)) ([]spec.Unit, error) {
	var out []spec.Unit
	for _, sp := range specs {
		if name != "" && sp.Name != name && !strings.HasPrefix(name, sp.Name+"/") {
			continue
		}
		available := []string(nil)
		if sp.Railway.Generated() {
			var err error
			if available, err = envs(sp); err != nil {
				return nil, err
			}
		}
		for _, u := range sp.Units(available) {
			if name == "" || name == sp.Name || name == u.Name {
				out = append(out, u)
			}
		}
	}
	if name != "" && len(out) == 0 {
		return nil, WithExitCode(ExitInvalid, fmt.Errorf("--name %s: no such unit or spec", name))
	}
	return out, nil
}

// railwayEnvs lists a generator's environments by reading its project
// (one request).
func railwayEnvs(ctx context.Context, a *App) func(sp *spec.Spec) ([]string, error) {
	return func(sp *spec.Spec) ([]string, error) {
		client, err := app.NewClient(app.Options{Spec: sp, LookupEnv: a.LookupEnv, Logger: a.Logger, Now: a.Now, LogAttempts: true})
		if err != nil {
			return nil, failure(err)
		}
		p, err := client.Project(ctx, sp.Railway.ProjectID)
		if err != nil {
			return nil, failure(fmt.Errorf("listing the environments of %s's project: %w", sp.Name, err))
		}
		names := make([]string, 0, len(p.Environments))
		for _, e := range p.Environments {
			names = append(names, e.Name)
		}
		return names, nil
	}
}

// forUnits runs fn for each unit the command acts on. A single spec file
// that generates nothing is run as it always was (its own state.path);
// every other case is a fleet: each unit with its fleet spec (its own
// state file), a header per unit in text output, a JSON array in json
// output, and the worst exit of all (3, then 1, then 2).
func forUnits(cmd *cobra.Command, a *App, name string, json bool, envs func(context.Context, *App) func(*spec.Spec) ([]string, error),
	fn func(sp *spec.Spec) error) error {
	if !fleetInput(a.Files) {
		sp, err := loadSpec(a)
		if err != nil {
			return err
		}
		if !sp.Railway.Generated() {
			if name != "" && name != sp.Name {
				return WithExitCode(ExitInvalid, fmt.Errorf("--name %s: the spec is %s", name, sp.Name))
			}
			return fn(sp)
		}
	}
	set, err := loadSet(a)
	if err != nil {
		return err
	}
	units, err := unitsOf(set.Specs, name, envs(cmd.Context(), a))
	if err != nil {
		return err
	}
	return runUnits(a, units, json, fn)
}

// runUnits runs fn on each unit's fleet spec, gathering their output.
func runUnits(a *App, units []spec.Unit, json bool, fn func(sp *spec.Spec) error) error {
	out := a.Stdout
	defer func() { a.Stdout = out }()
	var docs [][]byte
	var errs []error
	for _, u := range units {
		var buf bytes.Buffer
		a.Stdout = &buf
		err := fn(u.FleetSpec())
		errs = append(errs, err)
		switch {
		case json:
			docs = append(docs, bytes.TrimSpace(buf.Bytes()))
		default:
			fmt.Fprintf(out, "== %s ==\n%s", u.Name, buf.Bytes())
			if err != nil && ExitCodeOf(err) != ExitDrift {
				fmt.Fprintf(out, "error: %v\n", err)
			}
		}
	}
	if json {
		fmt.Fprintf(out, "[%s]\n", bytes.Join(docs, []byte(",\n")))
	}
	return worst(errs)
}

// worst returns the error of the worst exit: 3, then 1, then 2.
func worst(errs []error) error {
	rank := map[int]int{ExitInvalid: 3, ExitFailure: 2, ExitDrift: 1}
	var w error
	for _, err := range errs {
		if err != nil && (w == nil || rank[ExitCodeOf(err)] > rank[ExitCodeOf(w)]) {
			w = err
		}
	}
	if w != nil && ExitCodeOf(w) != ExitDrift && len(errs) > 1 {
		return WithExitCode(ExitCodeOf(w), errors.New("one or more units failed (above)"))
	}
	return w
}

// stateEnvs lists a generator's units from the state files in its state
// directory (status reads no Railway).
func stateEnvs(context.Context, *App) func(sp *spec.Spec) ([]string, error) {
	return func(sp *spec.Spec) ([]string, error) {
		var envs []string
		for _, u := range sp.UnitsInStateDir(filepath.Dir(sp.State.Path)) {
			envs = append(envs, strings.TrimPrefix(u, sp.Name+"/"))
		}
		if !sp.Railway.Manages("") && len(envs) == 0 {
			return nil, nil
		}
		return slices.Compact(envs), nil
	}
}

// nameFlag adds --name to a command that acts on a fleet's units.
func nameFlag(cmd *cobra.Command, name *string) {
	cmd.Flags().StringVar(name, "name", "", "in a fleet: the unit (NAME or NAME/ENV), or the spec (all its units), to act on (default: every unit)")
}

// isFleet reports whether the -f paths make a fleet: several paths, a
// directory, or a spec that generates a unit per environment (a spec that
// does not load is left to the command to report).
func isFleet(a *App) bool {
	if fleetInput(a.Files) {
		return true
	}
	sp, err := spec.Load(a.File, a.LookupEnv)
	return err == nil && sp.Railway.Generated()
}
