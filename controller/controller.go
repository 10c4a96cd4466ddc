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
	"github.com/robfig/cron/v3"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/report"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Holder is how `run` describes itself in the state lock.
const Holder = "reconciler run"

// Controller runs one reconciler on its schedules until Run's context
// ends. Build it with New; Run it once.
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
	stopping bool
	running  sync.WaitGroup // jobs in flight; Add only under mu while !stopping
	requeue  *time.Timer
	requeues int // consecutive requeued passes

	sinks    atomic.Pointer[report.Sinks]
	notifier atomic.Pointer[report.Notifier]

	passMu  sync.Mutex // serialises passes (the reconcile and report jobs)
	cron    *cron.Cron
	jobs    map[string]cron.Job
	entries map[string]cron.EntryID
	anchor  time.Time
	workCtx context.Context
}

// session is what one Run owns and releases at shutdown.
type session struct {
	app        *app.App
	http       *http.Server
	control    *controlServer
	watcher    *fsnotify.Watcher
	cancelWork context.CancelFunc
}

// New returns a controller; it makes no call and binds nothing.
func New(opts Options) (*Controller, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	c := &Controller{opts: opts, log: opts.Logger.Named("controller"), sp: opts.Spec, reloadReq: make(chan struct{}, 1)}
	c.m = newMetrics(opts.Spec.Name, c.rateLimitRemaining)
	c.m.buildInfo(opts.Spec.Name, opts.Version, opts.Commit)
	c.m.initChecks(opts.Spec)
	return c, nil
}

// Run takes the state lock, binds the HTTP server, checks Railway access,
// then runs the schedules until ctx ends, and shuts down cleanly: nil
// after a clean shutdown. Errors before the schedules start are fatal
// (a *state.LockedError when another process holds the state; a Railway
// access error); they leave nothing behind.
func (c *Controller) Run(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("controller: Run called twice")
	}
	s, err := c.start(ctx)
	if err != nil || s == nil {
		return err
	}
	c.loop(ctx, s.watcher)
	return c.shutdown(s)
}

// start brings everything up in order: lock, HTTP, Railway access, the
// control socket, the file watch and the schedules. A nil session with a
// nil error means ctx ended during startup.
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
	sock := c.controlSocket()
	var err error
	if s.app, err = c.build(ctx, sock); err != nil {
		return abort(err)
	}
	ln, err := c.bindHTTP()
	if err != nil {
		return abort(err)
	}
	s.http = c.serveHTTP(ln)
	a := s.app
	if err := a.Railway.CheckAccess(ctx, c.sp.Railway.ProjectID); err != nil {
		return abort(err)
	}
	c.mu.Lock()
	c.app = a
	c.mu.Unlock()
	phase := a.Reconciler.State().Phase
	c.m.setPhase(phase)
	var workCtx context.Context
	workCtx, s.cancelWork = context.WithCancel(context.WithoutCancel(ctx))
	c.workCtx = workCtx
	s.control = c.startControl(workCtx, sock)
	s.watcher = c.watch()
	c.startSchedules()
	c.log.Info("controller started", zap.String("name", c.sp.Name), zap.String("spec", c.opts.SpecPath),
		zap.String("reconcile", c.sp.Schedule.Reconcile.Expr), zap.String("probe", c.sp.Schedule.Probe.Expr),
		zap.String("report", c.sp.Schedule.Report.Expr), zap.String("phase", string(phase)))
	return s, nil
}

// controlSocket returns the control socket's path, "" (and a warning)
// when it is too long to bind.
func (c *Controller) controlSocket() string {
	sock := ControlSocketPath(c.sp.State.Path)
	if len(sock) > maxSocketPath {
		c.log.Warn("control socket disabled: its path is too long; rollback and rollforward cannot reach this process",
			zap.String("path", sock))
		return ""
	}
	return sock
}

// build wires the app and takes the state lock, recording sock (the control
// socket, "" for none) in it; no Railway call is made.
func (c *Controller) build(ctx context.Context, sock string) (*app.App, error) {
	a, err := c.opts.Build(ctx, app.Options{
		Spec: c.sp, LookupEnv: c.opts.LookupEnv, Logger: c.opts.Logger, Version: c.opts.Version,
		Store: app.StoreLocked, Holder: Holder, Control: sock, Hooks: c.hooks(), OnRequest: c.onRequest,
		HTTPClient: c.opts.HTTPClient, Now: c.opts.Now,
	})
	if err != nil {
		return nil, err
	}
	if a.Loaded.CorruptMovedTo != "" {
		c.log.Warn("state file was corrupt, starting fresh", zap.String("movedTo", a.Loaded.CorruptMovedTo))
	}
	return a, nil
}

// startControl serves the control socket recorded in the lock (none when
// path is ""); failing to is not fatal (the controller still reconciles),
// and is logged.
func (c *Controller) startControl(ctx context.Context, path string) *controlServer {
	if path == "" {
		return nil
	}
	ln, err := listenControl(path)
	if err != nil {
		c.log.Warn("control socket disabled; rollback and rollforward cannot reach this process", zap.Error(err))
		return nil
	}
	c.log.Debug("control socket listening", zap.String("path", path))
	return c.serveControl(ctx, ln, path)
}

// hooks feed the metrics and the notifier; they run under the reconciler's
// lock and only touch in-memory series or a queue.
func (c *Controller) hooks() reconcile.Hooks {
	return reconcile.Hooks{
		Event: func(e state.Event) {
			c.m.event(e)
			c.notify(e)
		},
		Phase: func(_, to state.Phase, _ string) { c.m.setPhase(to) },
		Round: c.m.round,
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

// rateLimitRemaining reads Railway's last X-RateLimit-Remaining.
func (c *Controller) rateLimitRemaining() float64 {
	c.mu.Lock()
	a := c.app
	c.mu.Unlock()
	if a == nil {
		return -1
	}
	return rateLimitValue(a.Railway.Stats())
}

// Spec returns the spec running: the last valid one, with the fields that
// need a restart at their running values.
func (c *Controller) Spec() *spec.Spec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sp
}

// reconciler returns the reconciler, nil while starting.
func (c *Controller) reconciler() *reconcile.Reconciler {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.app == nil {
		return nil
	}
	return c.app.Reconciler
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

// shutdown stops the schedules, lets the actions in flight finish
// (bounded), persists the state and releases everything.
func (c *Controller) shutdown(s *session) error {
	began := time.Now()
	c.log.Info("shutting down: finishing the actions in flight")
	c.mu.Lock()
	c.stopping = true
	if c.requeue != nil {
		c.requeue.Stop()
	}
	c.mu.Unlock()
	if s.watcher != nil {
		_ = s.watcher.Close() // nothing to do about a failed close
	}
	c.cron.Stop()
	grace := max(c.opts.ShutdownTimeout-1500*time.Millisecond, c.opts.ShutdownTimeout/2)
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if s.control != nil {
		s.control.shutdown(graceCtx)
	}
	if !waitFor(graceCtx, &c.running) {
		c.log.Warn("actions still in flight at the shutdown deadline, cancelling them")
		s.cancelWork()
		cutCtx, cut := context.WithTimeout(context.Background(), time.Second)
		waitFor(cutCtx, &c.running)
		cut()
	}
	s.cancelWork()
	err := s.app.Reconciler.Update(nil)
	if err != nil {
		err = fmt.Errorf("persisting the state at shutdown: %w", err)
		c.log.Error("persisting the state at shutdown failed", zap.Error(err))
	}
	c.closeNotifier(c.notifier.Load(), max(time.Until(began.Add(c.opts.ShutdownTimeout-700*time.Millisecond)), 100*time.Millisecond))
	s.app.Close()
	shutdownHTTP(s.http, 500*time.Millisecond)
	c.log.Info("stopped", zap.Duration("took", time.Since(began).Round(time.Millisecond)))
	return err
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
