package controller

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Defaults.
const (
	// DefaultShutdownTimeout bounds a shutdown, from the signal to Run's
	// return (CONTRACT section 6 promises an exit within 10 s).
	DefaultShutdownTimeout = 9 * time.Second
	// DefaultDebounce gathers the burst of file events an editor makes.
	DefaultDebounce = 200 * time.Millisecond
	// DefaultPort is the listen port when neither --listen, server.listen
	// nor $PORT says otherwise.
	DefaultPort = "8080"
)

// Options configure a Controller. Spec (one spec) or Set (a fleet) is
// required; the rest defaults.
type Options struct {
	// SpecPath is the spec file, watched for edits; default Spec.File.
	SpecPath string
	// Spec is the initial spec of a single-spec run, already loaded and
	// valid.
	Spec *spec.Spec
	// Load reloads the spec from SpecPath; default spec.Load with LookupEnv.
	// Tests wrap it (to shorten schedules, for one).
	Load func(path string) (*spec.Spec, error)
	// Set is the initial set of a fleet run (several specs, a directory,
	// or a spec that generates a unit per environment): loaded from Paths
	// by LoadSet, which reloads it on an edit.
	Set *SpecSet
	// Paths are the spec files and directories of a fleet run, watched.
	Paths []string
	// LoadSet reloads the fleet's specs from Paths.
	LoadSet func(paths []string) (*SpecSet, error)
	// Listen is the --listen flag, "" when not given (see ListenAddr).
	Listen string
	// Listener, when set, is served instead of binding the listen address;
	// generally nil unless testing.
	Listener net.Listener
	// LookupEnv reads the environment ($PORT, the Railway token); default
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)
	Logger    *zap.Logger
	// Version is this build's version (User-Agent, logs).
	Version string
	// Command describes this process in the unit's lock; default Holder.
	Command string
	// Commit is this build's VCS commit (the reconciler_build_info metric).
	Commit string
	// Now is the clock handed to the reconciler and the Railway client;
	// default time.Now. The cron runner itself always follows the wall clock.
	Now func() time.Time
	// Rand returns a uniform float in [0, 1) for the reconcile jitter;
	// default math/rand/v2. Typically replaced in tests.
	Rand func() float64
	// HTTPClient is used for Railway and the endpoint probes; default clients
	// when nil.
	HTTPClient *http.Client
	// Build wires the app; default app.Build. Generally nil unless testing.
	Build func(ctx context.Context, o app.Options) (*app.App, error)
	// Stdout is where the stdout report sink writes; default os.Stdout.
	Stdout io.Writer
	// ShutdownTimeout bounds a shutdown; default DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Debounce is the quiet time after a file event before a reload;
	// default DefaultDebounce.
	Debounce time.Duration
	// AuthToken is server.auth.token: when set, `/`, /status and /metrics
	// require it (a bearer token or the login cookie); /healthz and
	// /readyz stay open. Empty leaves them open.
	AuthToken spec.Secret
}

func (o *Options) validate() error {
	if o.Set != nil && o.Spec == nil && len(o.Set.Specs) > 0 {
		o.Spec = o.Set.Specs[0] // the process-wide settings (server, budget) come from it
	}
	if o.Spec == nil {
		return errors.New("controller: no spec")
	}
	if o.SpecPath == "" {
		o.SpecPath = o.Spec.File
	}
	if o.Set != nil && o.LoadSet == nil {
		return errors.New("controller: a fleet needs LoadSet")
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.Load == nil {
		lookup := o.LookupEnv
		o.Load = func(path string) (*spec.Spec, error) { return spec.Load(path, lookup) }
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	if o.Build == nil {
		o.Build = app.Build
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Command == "" {
		o.Command = Holder
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	return nil
}

// ListenAddr resolves the HTTP listen address (CONTRACT section 3): the
// --listen flag, else the spec's server.listen, else ":$PORT" when PORT is
// set (Railway's convention), else ":8080".
func ListenAddr(flag string, sp *spec.Spec, lookupEnv func(string) (string, bool)) string {
	switch {
	case flag != "":
		return flag
	case sp != nil && sp.Server.Listen != "":
		return sp.Server.Listen
	}
	if port, ok := lookupEnv("PORT"); ok && port != "" {
		return ":" + port
	}
	return ":" + DefaultPort
}

// ControlSocketPath is where `run` serves the control API for a state
// file: beside the file it designates (symlinks followed, as the state
// itself is written), as an absolute path, so that `rollback` run from any
// working directory finds it.
func ControlSocketPath(statePath string) string {
	if p, err := state.ResolvePath(statePath); err == nil {
		statePath = p
	} else if abs, err := filepath.Abs(statePath); err == nil {
		statePath = abs
	}
	return statePath + ".sock"
}

// SpecSet is what a load of a fleet's spec files gives: the valid specs,
// and the files that failed (each shown as a unit with Ready=False, reason
// SpecInvalid, while the others go on).
type SpecSet struct {
	Specs   []*spec.Spec
	Invalid []InvalidFile
}

// InvalidFile is a spec file that could not be loaded.
type InvalidFile struct {
	File string
	// Problems are its error lines (FILE:LINE:COL: PATH: MESSAGE).
	Problems []string
}
