// Package app wires the reconciler's parts together from a spec and the
// environment: the Railway client, the probes, the state store and the
// reconciler. Every command that talks to Railway (plan, apply, run,
// report, rollback, rollforward, demo) builds through here, so they all run
// the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// StoreMode says how a command uses the state file.
type StoreMode int

// Store modes.
const (
	// StoreLocked opens the state under the exclusive lock and persists it
	// (apply, run, rollback, rollforward).
	StoreLocked StoreMode = iota
	// StoreReadOnly reads the state if there is one and never writes it,
	// nor takes the lock (plan, report while `run` holds the lock).
	StoreReadOnly
)

// Options configure Build.
type Options struct {
	Spec      *spec.Spec
	LookupEnv func(string) (string, bool)
	Logger    *zap.Logger
	Version   string
	Store     StoreMode
	// Holder and Control describe this process in the state lock.
	Holder, Control string
	Hooks           reconcile.Hooks
	// OnRequest observes every Railway request (metrics).
	OnRequest func(operation, result string)
	// HTTPClient is used for Railway and endpoint probes; default clients
	// when nil. Now is the clock; time.Now when nil.
	HTTPClient *http.Client
	Now        func() time.Time
	// CheckAccess verifies the token and the project before anything else.
	CheckAccess bool
}

// App is a wired reconciler and what it owns.
type App struct {
	Railway    *railway.Client
	Prober     *probes.Prober
	Reconciler *reconcile.Reconciler
	// Store is nil in StoreReadOnly mode.
	Store *state.Store
	// Loaded describes what was found in the state file.
	Loaded state.LoadInfo
}

// Build wires an App. Errors name what failed and never hold a secret;
// a *state.LockedError means another process holds the state.
func Build(ctx context.Context, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	creds, err := railway.CredentialsFromEnv(o.LookupEnv)
	if err != nil {
		return nil, err
	}
	client, err := railway.New(railway.Options{
		Endpoint: o.Spec.Railway.Endpoint, Credentials: creds, Version: o.Version,
		HTTPClient: o.HTTPClient, MaxRequestsPerHour: o.Spec.Railway.MaxRequestsPerHour,
		Logger: o.Logger, Now: o.Now, OnRequest: o.OnRequest,
	})
	if err != nil {
		return nil, fmt.Errorf("building the railway client: %w", err)
	}
	if o.CheckAccess {
		if err := client.CheckAccess(ctx, o.Spec.Railway.ProjectID); err != nil {
			return nil, err
		}
	}
	a := &App{Railway: client}
	st, err := a.openState(o)
	if err != nil {
		return nil, err
	}
	a.Prober = probes.NewProber(probes.Options{Logger: o.Logger.Named("probes"), HTTPClient: o.HTTPClient, Now: o.Now})
	logs := probes.NewLogProbe(probes.LogOptions{Source: client, Now: o.Now, Logger: o.Logger.Named("logs")})
	ropts := reconcile.Options{
		Spec: o.Spec, Railway: client, Prober: a.Prober, Logs: logs, State: st,
		Logger: o.Logger, Now: o.Now, Hooks: o.Hooks, InsideRailway: insideRailway(o.LookupEnv),
		Requests: func() (int64, int) {
			s := client.Stats()
			if !s.RateLimitKnown {
				return s.Requests, -1
			}
			return s.Requests, s.RateLimitRemaining
		},
	}
	if a.Store != nil { // a nil *state.Store in the interface would not read as "no store"
		ropts.Store = a.Store
	}
	if a.Reconciler, err = reconcile.New(ropts); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// openState loads the state per the store mode.
func (a *App) openState(o Options) (*state.State, error) {
	if o.Store == StoreReadOnly {
		st, err := state.Read(o.Spec.State.Path)
		switch {
		case errors.Is(err, state.ErrNoState):
			return state.New(o.Spec.Name, o.Now()), nil
		case errors.Is(err, state.ErrNewerState):
			// It may hold a rollback or a hold: planning from a fresh state
			// would show the opposite. Refused, as the locked mode does.
			return nil, err
		case err != nil:
			// A corrupt file is the locked owner's to move aside; a
			// read-only command starts from nothing instead.
			o.Logger.Warn("state unreadable, planning from a fresh state", zap.Error(err))
			return state.New(o.Spec.Name, o.Now()), nil
		}
		return st, nil
	}
	store, err := state.Open(o.Spec.State.Path, state.Options{Logger: o.Logger.Named("state"), Now: o.Now, Holder: o.Holder, Control: o.Control})
	if err != nil {
		return nil, err
	}
	st, info, err := store.Load(o.Spec.Name)
	if err != nil {
		store.Close()
		return nil, err
	}
	a.Store, a.Loaded = store, info
	return st, nil
}

// Close releases the prober's connections and the state lock.
func (a *App) Close() {
	if a.Prober != nil {
		a.Prober.Close()
	}
	if a.Store != nil {
		_ = a.Store.Close() // releasing a flock cannot fail in a way we can act on
	}
}

// insideRailway reports whether the process runs as a Railway service,
// where private networking (*.railway.internal) is reachable.
func insideRailway(lookup func(string) (string, bool)) bool {
	_, ok := lookup("RAILWAY_PRIVATE_DOMAIN")
	return ok
}
