package controller

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Holder is how `run` describes itself in the state lock.
const Holder = "reconciler run"

// fleetName is the name label of the process's series in a fleet run.
const fleetName = "fleet"

// Controller runs units — one spec in one environment each — on their
// schedules until Run's context ends: one unit for a single spec, or a
// fleet (several specs, a directory of them, or a spec that generates a
// unit per environment). Each unit is a standby until this process holds
// its lease, and leads until it loses it. Build it with New; Run it once.
type Controller struct {
	opts      Options
	log       *zap.Logger
	m         *metrics
	fleet     bool
	anchor    time.Time // the grid every unit's schedules fire on
	started   atomic.Bool
	reloadReq chan struct{}
	fatalErr  chan error

	infra infra

	mu       sync.Mutex
	specs    []*spec.Spec  // the valid specs in use
	invalid  []InvalidFile // fleet: the files that failed to load
	units    map[string]*unit
	envs     map[string][]string // generator projects' environment names
	stopping bool
	runCtx   context.Context // units run under it
	shard    *shard          // the units' assignment to replicas (PostgreSQL fleet)
	reports  fleetReports
}

// infra is what the units share: one Railway client per endpoint (the
// token is the process's: one budget, the smallest of the specs using it)
// and, with PostgreSQL, one store (one pool, the locker, the mailbox).
type infra struct {
	// client is the first spec's endpoint's: the access check, the
	// generators' reads and the metrics use it.
	client  *railway.Client
	clients map[string]*railway.Client
	// batchers merge the fleet's reads, one per client (fleet only).
	batchers map[*railway.Client]*railway.Batcher
	store    *app.Store
}

// session is what one Run owns and releases at shutdown.
type session struct {
	http    *http.Server
	watcher *fsnotify.Watcher
}

// New returns a controller; it makes no call and binds nothing.
func New(opts Options) (*Controller, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	c := &Controller{opts: opts, log: opts.Logger.Named("controller"), reloadReq: make(chan struct{}, 1),
		fatalErr: make(chan error, 1), units: map[string]*unit{}, envs: map[string][]string{}}
	c.specs = []*spec.Spec{opts.Spec}
	if opts.Set != nil {
		c.fleet = true
		c.specs, c.invalid = opts.Set.Specs, opts.Set.Invalid
	}
	if opts.Spec.Railway.Generated() {
		c.fleet = true
	}
	name := opts.Spec.Name
	if c.fleet {
		name = fleetName
	}
	c.m = newMetrics(name, metricSources{railway: c.railwayStats, backendUp: c.backendUp})
	c.m.buildInfo(name, opts.Version, opts.Commit)
	c.m.setRailwayBudget(budgetOf(c.specs))
	for _, sp := range c.specs {
		if !sp.Railway.Generated() {
			// Every series of the units known now, from the first scrape.
			c.m.units.forUnit(sp.Name, sp.Name).initChecks(sp)
		}
	}
	return c, nil
}

// fleetMode reports whether this is a fleet run.
func (c *Controller) fleetMode() bool { return c.fleet }

// Run binds the HTTP server, checks Railway access, then runs every unit
// until ctx ends, and shuts down cleanly: nil after a clean shutdown.
// Errors before the units start (a Railway access error, an unusable
// store) are fatal and leave nothing behind; so is a state newer than this
// build, found by a unit.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("controller: Run called twice")
	}
	s, err := c.start(ctx)
	if err != nil || s == nil {
		return err
	}
	runCtx, stopUnits := context.WithCancel(ctx)
	c.mu.Lock()
	c.runCtx = runCtx
	c.mu.Unlock()
	c.startFleet(runCtx)
	err = c.loop(runCtx, s.watcher)
	began := time.Now()
	stopUnits()
	c.shutdown(s, began)
	return err
}

// start brings up what the units share: the Railway client and store,
// HTTP, Railway access and the file watch. A nil session with a nil error
// means ctx ended during startup.
func (c *Controller) start(ctx context.Context) (*session, error) {
	s := &session{}
	abort := func(err error) (*session, error) {
		if s.http != nil {
			shutdownHTTP(s.http, time.Second)
		}
		if c.infra.store != nil {
			_ = c.infra.store.Close() // nothing written yet
		}
		if ctx.Err() != nil {
			return nil, nil // stopped while starting: a clean exit
		}
		return nil, err
	}
	if err := c.buildInfra(ctx); err != nil {
		return abort(err)
	}
	ln, err := c.bindHTTP()
	if err != nil {
		return abort(err)
	}
	if s.http, err = c.serveHTTP(ln); err != nil {
		_ = ln.Close() // nothing to do about a failed close
		return abort(err)
	}
	if err := app.CheckAccess(ctx, c.infra.client, c.opts.Spec); err != nil {
		return abort(err)
	}
	s.watcher = c.watch()
	c.anchor = time.Now()
	sp := c.opts.Spec
	c.log.Info("controller started", zap.String("name", sp.Name), zap.String("spec", c.opts.SpecPath),
		zap.String("reconcile", sp.Schedule.Reconcile.Expr), zap.String("probe", sp.Schedule.Probe.Expr),
		zap.String("report", sp.Schedule.Report.Expr), zap.Int("specs", len(c.specs)), zap.Int("invalid", len(c.invalid)),
		zap.Bool("fleet", c.fleet))
	return s, nil
}

// buildInfra builds the Railway client the units share, sized to the
// smallest budget of the specs, and the shared store when the state is in
// PostgreSQL.
func (c *Controller) buildInfra(ctx context.Context) error {
	c.infra.clients = map[string]*railway.Client{}
	c.infra.batchers = map[*railway.Client]*railway.Batcher{}
	for _, s := range c.specs {
		if c.infra.clients[s.Railway.Endpoint] != nil {
			continue
		}
		client, err := c.newClient(s, c.specs)
		if err != nil {
			return err
		}
		c.infra.clients[s.Railway.Endpoint] = client
	}
	c.infra.client = c.infra.clients[c.opts.Spec.Railway.Endpoint]
	if c.infra.client == nil {
		client, err := c.newClient(c.opts.Spec, c.specs)
		if err != nil {
			return err
		}
		c.infra.client = client
	}
	sp := *c.opts.Spec
	if !sp.State.UsesPostgres() {
		return nil
	}
	store, err := app.OpenStore(ctx, &sp, app.StoreOptions{Logger: c.opts.Logger, Now: c.opts.Now, Command: c.opts.Command})
	if err != nil {
		return err
	}
	c.infra.store = &store
	return nil
}

// newClient builds the client of sp's endpoint, sized to the smallest
// budget of the specs using that endpoint.
func (c *Controller) newClient(sp *spec.Spec, specs []*spec.Spec) (*railway.Client, error) {
	var same []*spec.Spec
	for _, s := range specs {
		if s.Railway.Endpoint == sp.Railway.Endpoint {
			same = append(same, s)
		}
	}
	cp := *sp
	cp.Railway.MaxRequestsPerHour = budgetOf(append(same, sp))
	return app.NewClient(app.Options{Spec: &cp, LookupEnv: c.opts.LookupEnv, Logger: c.opts.Logger, Version: c.opts.Version,
		HTTPClient: c.opts.HTTPClient, Now: c.opts.Now, Instance: state.InstanceID(), OnRequest: c.onRequest})
}

// budgetOf is the budget of a client shared by specs: the smallest
// maxRequestsPerHour among them (0, no budget, counts as none).
func budgetOf(specs []*spec.Spec) int {
	b := 0
	for _, sp := range specs {
		if n := sp.Railway.MaxRequestsPerHour; n > 0 && (b == 0 || n < b) {
			b = n
		}
	}
	return b
}

// fatal ends the run with err (a unit found a state this build must not
// touch).
func (c *Controller) fatal(err error) {
	select {
	case c.fatalErr <- err:
	default:
	}
}

func (c *Controller) onRequest(operation, result string) {
	c.m.requests.WithLabelValues(operation, result).Inc()
}

// backendUp is 1 while the state backend can be reached, else 0.
func (c *Controller) backendUp() float64 {
	if s := c.infra.store; s != nil {
		if r, ok := s.Backend.(interface{ LastError() error }); ok && r.LastError() != nil {
			return 0
		}
	}
	return 1
}

// railwayStats reads the Railway client's accounting; false while starting.
func (c *Controller) railwayStats() (railway.Stats, bool) {
	if c.infra.client == nil {
		return railway.Stats{}, false
	}
	return c.infra.client.Stats(), true
}

// Spec returns the spec of a single-spec run (the first spec of a fleet):
// the last valid one, with the fields that need a restart at their running
// values.
func (c *Controller) Spec() *spec.Spec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.specs[0]
}

// Reload asks for the spec files to be read again (SIGHUP). It never
// blocks; requests made while one is pending are merged.
func (c *Controller) Reload() {
	select {
	case c.reloadReq <- struct{}{}:
	default:
	}
}

// loop serves reload requests and file events until ctx ends or a unit
// fails fatally.
func (c *Controller) loop(ctx context.Context, w *fsnotify.Watcher) error {
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w != nil {
		events, errs = w.Events, w.Errors
	}
	relevant := c.relevantEvent()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-c.fatalErr:
			return err
		case <-c.reloadReq:
			c.reload("signal")
		case ev, ok := <-events:
			if !ok {
				events = nil
			} else if relevant(ev) {
				debounce.Reset(c.opts.Debounce)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
			} else {
				c.log.Warn("watching the spec file failed", zap.Error(err))
			}
		case <-debounce.C:
			c.reload("file changed")
		}
	}
}

// shutdown stops every unit (their terms end in parallel: actions in
// flight finish, state saved), then releases what the session holds,
// within the shutdown timeout counted from began.
func (c *Controller) shutdown(s *session, began time.Time) {
	c.log.Info("shutting down: finishing the actions in flight")
	c.mu.Lock()
	c.stopping = true
	units := make([]*unit, 0, len(c.units))
	for _, u := range c.units {
		units = append(units, u)
	}
	c.mu.Unlock()
	if s.watcher != nil {
		_ = s.watcher.Close() // nothing to do about a failed close
	}
	deadline := began.Add(c.opts.ShutdownTimeout - 700*time.Millisecond)
	var wg sync.WaitGroup
	for _, u := range units {
		wg.Go(func() { u.shutdown(deadline, false) })
	}
	wg.Wait()
	if c.shard != nil {
		c.shard.leave()
	}
	if c.infra.store != nil {
		_ = c.infra.store.Close() // every unit has saved
	}
	shutdownHTTP(s.http, 500*time.Millisecond)
	c.log.Info("stopped", zap.Duration("took", time.Since(began).Round(time.Millisecond)))
}

// waitFor waits for wg until ctx ends; it reports whether wg finished.
func waitFor(ctx context.Context, wg *sync.WaitGroup) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting: %w", ctx.Err())
	}
}
