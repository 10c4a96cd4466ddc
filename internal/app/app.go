// Package app wires the reconciler's parts together from a spec and the
// environment: the Railway client, the probes, the state backend and its
// locker, and, once this process may act for the unit, the reconciler.
// Every command that talks to Railway (plan, apply, run, report, rollback,
// rollforward, demo) builds through here, so they all run the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/addon"
	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/state/pgstore"
)

// StoreMode says how a command uses the state.
type StoreMode int

// Store modes.
const (
	// StoreLocked takes the unit's lock at once (failing with a
	// *state.LockedError when another process holds it), loads the state
	// and persists it (apply, rollback, rollforward).
	StoreLocked StoreMode = iota
	// StoreReadOnly reads the state if there is one and never writes it,
	// nor takes the lock (plan, report).
	StoreReadOnly
	// StoreStandby builds everything but the reconciler: the caller waits
	// for the lock (Locker.Acquire) and then calls Start (run).
	StoreStandby
)

// Options configure Build.
type Options struct {
	Spec      *spec.Spec
	LookupEnv func(string) (string, bool)
	Logger    *zap.Logger
	Version   string
	Store     StoreMode
	// Command describes this process in the lock ("reconciler run").
	Command string
	Hooks   reconcile.Hooks
	// OnRequest observes every Railway request (metrics).
	OnRequest func(operation, result string)
	// HTTPClient is used for Railway and endpoint probes; default clients
	// when nil. Now is the clock; time.Now when nil.
	HTTPClient *http.Client
	Now        func() time.Time
	// CheckAccess verifies the token, the project and the environment
	// before anything else.
	CheckAccess bool
	// LogAttempts logs every failed Railway attempt at warn (the
	// interactive commands: a person is waiting).
	LogAttempts bool
	// Instance identifies this replica to Railway (User-Agent).
	Instance string
	// Railway, when set, is a client shared with other units (one budget
	// per token): Build uses it instead of making one, and Close leaves it.
	Railway *railway.Client
	// Observer, when set, replaces the client for the reconciler's
	// Railway calls (a batcher of observations shared by the units of one
	// environment).
	Observer reconcile.Railway
	// Siblings, when set, returns the addon names of the other units of
	// the controller in the unit's project and environment
	// (reconcile.Options.Siblings).
	Siblings func() []string
	// SharedStore, when set, is a store shared with other units (the
	// PostgreSQL pool): Build uses it instead of opening one, and Close
	// leaves it.
	SharedStore *Store
}

// App is a wired unit and what it owns.
type App struct {
	Railway *railway.Client
	Prober  *probes.Prober
	Backend state.Backend
	Locker  state.Locker
	// Mailbox carries manual commands to the leader through the shared
	// store; nil with the file store (the control socket does it).
	Mailbox state.Mailbox
	// Reconciler is nil until Start (StoreStandby) and after Stop.
	Reconciler *reconcile.Reconciler
	// Lease is the unit's lease while this process holds it; nil in
	// StoreReadOnly mode.
	Lease state.Lease
	// Loaded describes what was found in the store.
	Loaded Loaded

	opts        Options
	sharedStore bool // the backend is shared: Close leaves it open
}

// Loaded says what Start found in the store.
type Loaded struct {
	// Fresh is true when no usable state existed (first run, or corrupt).
	Fresh bool
	// CorruptMovedTo is where an unreadable state was moved aside.
	CorruptMovedTo string
}

// Build wires an App. Errors name what failed and never hold a secret; a
// *state.LockedError means another process holds the unit (StoreLocked).
func Build(ctx context.Context, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	client := o.Railway
	if client == nil {
		var err error
		if client, err = NewClient(o); err != nil {
			return nil, err
		}
	}
	if o.CheckAccess {
		if err := CheckAccess(ctx, client, o.Spec); err != nil {
			return nil, err
		}
	}
	a := &App{Railway: client, opts: o}
	if err := a.openStore(ctx); err != nil {
		return nil, err
	}
	a.Prober = probes.NewProber(probes.Options{Logger: o.Logger.Named("probes"), HTTPClient: o.HTTPClient, Now: o.Now,
		Addon: addon.Redis.Probe})
	if err := a.open(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// NewClient builds the Railway client of o's spec and environment.
func NewClient(o Options) (*railway.Client, error) {
	creds, err := railway.CredentialsFromEnv(o.LookupEnv)
	if err != nil {
		return nil, err
	}
	client, err := railway.New(railway.Options{
		Endpoint: o.Spec.Railway.Endpoint, Credentials: creds, Version: o.Version,
		HTTPClient: o.HTTPClient, MaxRequestsPerHour: o.Spec.Railway.MaxRequestsPerHour,
		Logger: o.Logger, Now: o.Now, OnRequest: o.OnRequest, LogAttempts: o.LogAttempts, Instance: o.Instance,
	})
	if err != nil {
		return nil, fmt.Errorf("building the railway client: %w", err)
	}
	return client, nil
}

// openStore opens the spec's state backend, or takes the shared one.
func (a *App) openStore(ctx context.Context) error {
	if s := a.opts.SharedStore; s != nil {
		a.Backend, a.Locker, a.Mailbox, a.sharedStore = s.Backend, s.Locker, s.Mailbox, true
		return nil
	}
	s, err := OpenStore(ctx, a.opts.Spec, StoreOptions{Logger: a.opts.Logger, Now: a.opts.Now, Command: a.opts.Command})
	if err != nil {
		return err
	}
	a.Backend, a.Locker, a.Mailbox = s.Backend, s.Locker, s.Mailbox
	return nil
}

// Store is a spec's state backend with its locker and, for a shared
// store, its mailbox.
type Store struct {
	Backend state.Backend
	Locker  state.Locker
	// Mailbox is nil for the file store.
	Mailbox state.Mailbox
}

// Close closes the backend.
func (s Store) Close() error { return s.Backend.Close() }

// StoreOptions configure OpenStore.
type StoreOptions struct {
	Logger *zap.Logger
	Now    func() time.Time
	// Command describes this process in locks and leases.
	Command string
}

// OpenStore opens the spec's state backend, needing no Railway token: the
// file store (state.path), or PostgreSQL (state.postgres), which is also
// the locker and the mailbox of every replica. An unreachable or refused
// database is a one-line error that never holds the password.
func OpenStore(ctx context.Context, sp *spec.Spec, o StoreOptions) (Store, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if !sp.State.UsesPostgres() {
		files := state.SingleFile(sp.State.Path, state.FileOptions{Logger: o.Logger.Named("state"), Now: o.Now, Command: o.Command})
		return Store{Backend: files, Locker: files}, nil
	}
	pg := sp.State.Postgres
	store, err := pgstore.Open(ctx, pg.URL.Value(), pgstore.Options{
		LeaseDuration: pg.LeaseDuration, RenewDeadline: pg.RenewDeadline, RetryPeriod: pg.RetryPeriod,
		Instance: state.InstanceID(), Command: o.Command, Logger: o.Logger.Named("state"),
	})
	if err != nil {
		return Store{}, fmt.Errorf("state.postgres.url: %w", err)
	}
	return Store{Backend: store, Locker: store, Mailbox: store}, nil
}

// open does what the store mode asks for at build time.
func (a *App) open(ctx context.Context) error {
	switch a.opts.Store {
	case StoreReadOnly:
		st, err := a.Backend.Load(ctx, a.opts.Spec.Name)
		switch {
		case errors.Is(err, state.ErrNoState):
			st = state.New(a.opts.Spec.Name, a.opts.Now())
		case err != nil:
			// A newer or corrupt state may hold a rollback or a hold:
			// planning from a fresh state would show the opposite.
			return fmt.Errorf("%w (a read-only command plans from the saved state, and this one cannot be used)", err)
		}
		return a.newReconciler(st, nil)
	case StoreLocked:
		l, err := a.Locker.TryAcquire(ctx, a.opts.Spec.Name)
		if err != nil {
			return err
		}
		return a.Start(ctx, l)
	}
	return nil
}

// Start loads the unit's state under lease and builds the reconciler that
// saves through it. A corrupt state is moved aside when the backend can
// (the file store), and the unit starts afresh in Unknown, re-observing
// before it acts; otherwise it is refused. On error the lease is released.
func (a *App) Start(ctx context.Context, lease state.Lease) error {
	st, err := a.load(ctx, lease)
	if err != nil {
		_ = lease.Release(context.Background()) // nothing else to do with it
		return err
	}
	a.Lease = lease
	return a.newReconciler(st, state.Leased{Backend: a.Backend, Lease: lease})
}

func (a *App) load(ctx context.Context, lease state.Lease) (*state.State, error) {
	name, now := a.opts.Spec.Name, a.opts.Now()
	st, err := a.Backend.Load(ctx, name)
	switch {
	case err == nil:
		a.Loaded = Loaded{}
		return st, nil
	case errors.Is(err, state.ErrNoState):
		a.Loaded = Loaded{Fresh: true}
		return state.New(name, now), nil
	case errors.Is(err, state.ErrCorrupt):
		q, ok := a.Backend.(state.Quarantiner)
		if !ok {
			return nil, fmt.Errorf("%w: refused, left untouched for a person to look at", err)
		}
		aside, qerr := q.Quarantine(ctx, lease, name)
		if qerr != nil {
			return nil, qerr
		}
		a.Loaded = Loaded{Fresh: true, CorruptMovedTo: aside}
		st := state.New(name, now)
		st.Phase = state.Unknown
		return st, nil
	}
	return nil, err
}

func (a *App) newReconciler(st *state.State, store reconcile.Store) error {
	o := a.opts
	logs := probes.NewLogProbe(probes.LogOptions{Source: a.Railway, Now: o.Now, Logger: o.Logger.Named("logs")})
	var rw reconcile.Railway = a.Railway
	if o.Observer != nil {
		rw = o.Observer
	}
	rec, err := reconcile.New(reconcile.Options{
		Spec: o.Spec, Railway: rw, Prober: a.Prober, Logs: logs, State: st, Store: store,
		Logger: o.Logger, Now: o.Now, Hooks: o.Hooks, InsideRailway: insideRailway(o.LookupEnv), Addon: addon.Redis,
		Siblings: o.Siblings,
		Requests: func() (int64, int) {
			s := a.Railway.Stats()
			if !s.RateLimitKnown {
				return s.Requests, -1
			}
			return s.Requests, s.RateLimitRemaining
		},
	})
	if err != nil {
		return err
	}
	a.Reconciler = rec
	return nil
}

// SetSpec replaces the spec (live reload): the running reconciler's, and
// the one the next Start uses.
func (a *App) SetSpec(sp *spec.Spec) {
	a.opts.Spec = sp
	if a.Reconciler != nil {
		a.Reconciler.SetSpec(sp)
	}
}

// Stop closes the reconciler and releases the lease (a lost lease, or the
// end of a leadership term); the App can Start again.
func (a *App) Stop() {
	if a.Reconciler != nil {
		a.Reconciler.Close()
		a.Reconciler = nil
	}
	if a.Lease != nil {
		_ = a.Lease.Release(context.Background()) // a lost lease has nothing to release
		a.Lease = nil
	}
}

// Close stops the unit and releases the prober's connections and the
// backend.
func (a *App) Close() {
	a.Stop()
	if a.Prober != nil {
		a.Prober.Close()
	}
	if a.Backend != nil && !a.sharedStore {
		_ = a.Backend.Close() // nothing left to flush
	}
}

// CheckAccess checks the token against the spec's project and, when the
// spec names one environment, that environment too (a project token is
// bound to one).
func CheckAccess(ctx context.Context, c *railway.Client, sp *spec.Spec) error {
	if sp.Railway.Environment == "" {
		return c.CheckAccess(ctx, sp.Railway.ProjectID)
	}
	return c.CheckAccessTo(ctx, sp.Railway.ProjectID, sp.Railway.Environment)
}

// insideRailway reports whether the process runs as a Railway service,
// where private networking (*.railway.internal) is reachable.
func insideRailway(lookup func(string) (string, bool)) bool {
	_, ok := lookup("RAILWAY_PRIVATE_DOMAIN")
	return ok
}
