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
	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/statuspage"
)

// Holder is how `run` describes itself in the state lock.
const Holder = "reconciler run"

// retryStart is how long a unit waits before trying again to lead after
// it could not start (its state could not be loaded).
const retryStart = 10 * time.Second

// Controller runs one unit on its schedules until Run's context ends: a
// standby until it holds the unit's lease, a leader until it loses it.
// Build it with New; Run it once.
type Controller struct {
	opts      Options
	log       *zap.Logger
	m         *metrics
	started   atomic.Bool
	reloadReq chan struct{}

	// observed: one Railway observation succeeded in this process (/readyz
	// stays ready after a later failure; why the last one failed is in the
	// reconciler's state).
	observed atomic.Bool

	mu       sync.Mutex
	sp       *spec.Spec // the spec running: the last valid one
	specErrs []string   // the problems of the last rejected reload, nil when valid
	app      *app.App   // nil while starting
	term     *term      // the leadership term in progress; nil while standby
	stopping bool

	// history feeds the status page's charts and timeline (memory only).
	history *statuspage.History

	// shared is what a standby serves, read from the shared state.
	shared atomic.Pointer[shared]

	sinks    atomic.Pointer[report.Sinks]
	notifier atomic.Pointer[report.Notifier]
}

// session is what one Run owns and releases at shutdown.
type session struct {
	app     *app.App
	http    *http.Server
	watcher *fsnotify.Watcher
}

// New returns a controller; it makes no call and binds nothing.
func New(opts Options) (*Controller, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	c := &Controller{opts: opts, log: opts.Logger.Named("controller"), sp: opts.Spec, reloadReq: make(chan struct{}, 1),
		history: &statuspage.History{}}
	c.m = newMetrics(opts.Spec.Name, metricSources{railway: c.railwayStats, backendUp: c.backendUp})
	c.m.buildInfo(opts.Spec.Name, opts.Version, opts.Commit)
	c.m.initChecks(opts.Spec)
	c.m.setRailwayBudget(opts.Spec.Railway.MaxRequestsPerHour)
	return c, nil
}

// Run binds the HTTP server, checks Railway access, then leads the unit
// whenever it holds its lease (waiting as a standby otherwise) until ctx
// ends, and shuts down cleanly: nil after a clean shutdown. Errors before
// the first lease (a Railway access error, a state newer than this build)
// are fatal and leave nothing behind.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("controller: Run called twice")
	}
	s, err := c.start(ctx)
	if err != nil || s == nil {
		return err
	}
	leadErr := make(chan error, 1)
	loopCtx, stopLoop := context.WithCancel(ctx)
	go func() {
		err := c.lead(ctx)
		stopLoop() // a fatal error ends the run
		leadErr <- err
	}()
	c.loop(loopCtx, s.watcher)
	began := time.Now()
	err = <-leadErr // the term ends first: actions in flight, last save
	c.shutdown(s, began)
	return err
}

// start brings up what a standby needs: reporting, the app (no lease),
// HTTP, Railway access and the file watch. A nil session with a nil error
// means ctx ended during startup.
func (c *Controller) start(ctx context.Context) (*session, error) {
	if err := c.startReporting(c.sp); err != nil {
		return nil, err
	}
	s := &session{}
	abort := func(err error) (*session, error) {
		if s.app != nil {
			s.app.Close()
		}
		if s.http != nil {
			shutdownHTTP(s.http, time.Second)
		}
		c.closeNotifier(c.notifier.Load(), time.Second)
		if ctx.Err() != nil {
			return nil, nil // stopped while starting: a clean exit
		}
		return nil, err
	}
	var err error
	if s.app, err = c.build(ctx); err != nil {
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
	if err := app.CheckAccess(ctx, s.app.Railway, c.sp); err != nil {
		return abort(err)
	}
	c.mu.Lock()
	c.app = s.app
	c.mu.Unlock()
	s.watcher = c.watch()
	c.log.Info("controller started", zap.String("name", c.sp.Name), zap.String("spec", c.opts.SpecPath),
		zap.String("reconcile", c.sp.Schedule.Reconcile.Expr), zap.String("probe", c.sp.Schedule.Probe.Expr),
		zap.String("report", c.sp.Schedule.Report.Expr))
	return s, nil
}

// build wires the app without taking the lease; no Railway call is made.
func (c *Controller) build(ctx context.Context) (*app.App, error) {
	return c.opts.Build(ctx, app.Options{
		Spec: c.sp, LookupEnv: c.opts.LookupEnv, Logger: c.opts.Logger, Version: c.opts.Version,
		Store: app.StoreStandby, Command: c.opts.Command, Hooks: c.hooks(), OnRequest: c.onRequest,
		HTTPClient: c.opts.HTTPClient, Now: c.opts.Now, Instance: state.InstanceID(),
	})
}

// lead alternates standby and leadership until ctx ends: it waits for the
// unit's lease, leads while it holds it, and waits again when it loses it.
// It returns a fatal error (a state this build must not touch).
func (c *Controller) lead(ctx context.Context) error {
	a := c.currentApp()
	for {
		c.refreshShared(ctx, a, c.Spec().Name) // serve the shared state at once
		followCtx, stopFollowing := context.WithCancel(ctx)
		go c.followShared(followCtx, a)
		lease, err := a.Locker.Acquire(ctx, c.Spec().Name)
		stopFollowing()
		if err != nil {
			return nil // ctx ended while standing by
		}
		err = c.runTerm(ctx, a, lease)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, state.ErrNewerState):
			return err
		case err != nil:
			c.log.Error("cannot lead this unit; trying again", zap.Error(err), zap.Duration("in", retryStart))
			if sleepCtx(ctx, retryStart) != nil {
				return nil
			}
		default:
			c.log.Warn("lease lost: acting stopped, standing by", zap.Error(lease.Err()))
		}
	}
}

// hooks feed the metrics and the notifier; they run on the reconciler's
// owner goroutine and only touch in-memory series or a queue.
func (c *Controller) hooks() reconcile.Hooks {
	return reconcile.Hooks{
		Event: func(e state.Event) {
			c.m.event(e)
			c.notify(e)
		},
		Phase: func(_, to state.Phase, reason string) {
			c.m.setPhase(to)
			c.history.ObservePhase(c.opts.Now(), to, reason)
		},
		Round: func(r probes.Round) {
			c.m.round(r)
			c.history.ObserveProbeRound(r)
		},
		Pass: func(result string, drift int) {
			c.m.reconciles.WithLabelValues(result).Inc()
			c.m.drift.Set(float64(drift))
			c.m.lastPass.Set(float64(c.opts.Now().UnixNano()) / 1e9)
		},
	}
}

func (c *Controller) onRequest(operation, result string) {
	c.m.requests.WithLabelValues(operation, result).Inc()
}

// backendUp is 1 while the state backend can be reached, else 0.
func (c *Controller) backendUp() float64 {
	a := c.currentApp()
	if a == nil || reachable(a) != nil {
		return 0
	}
	return 1
}

// railwayStats reads the Railway client's accounting; false while starting.
func (c *Controller) railwayStats() (railway.Stats, bool) {
	a := c.currentApp()
	if a == nil {
		return railway.Stats{}, false
	}
	return a.Railway.Stats(), true
}

// Spec returns the spec running: the last valid one, with the fields that
// need a restart at their running values.
func (c *Controller) Spec() *spec.Spec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sp
}

func (c *Controller) currentApp() *app.App {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.app
}

// currentTerm returns the leadership term in progress, nil while standby.
func (c *Controller) currentTerm() *term {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.term
}

// Reload asks for the spec file to be read again (SIGHUP). It never blocks;
// requests made while one is pending are merged.
func (c *Controller) Reload() {
	select {
	case c.reloadReq <- struct{}{}:
	default:
	}
}

// loop serves reload requests and file events until ctx ends.
func (c *Controller) loop(ctx context.Context, w *fsnotify.Watcher) {
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
			return
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

// shutdown releases what the session holds, within the shutdown timeout
// counted from began; the term, if any, has already ended (and persisted
// the state) when lead returned.
func (c *Controller) shutdown(s *session, began time.Time) {
	c.mu.Lock()
	c.stopping = true
	c.mu.Unlock()
	if s.watcher != nil {
		_ = s.watcher.Close() // nothing to do about a failed close
	}
	c.closeNotifier(c.notifier.Load(), max(time.Until(began.Add(c.opts.ShutdownTimeout-700*time.Millisecond)), 100*time.Millisecond))
	s.app.Close()
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
