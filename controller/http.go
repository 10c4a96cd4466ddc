package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
	"github.com/smartlic/reconciler/statuspage"
)

// bindHTTP binds the listen address (or takes Options.Listener).
func (c *Controller) bindHTTP() (net.Listener, error) {
	if c.opts.Listener != nil {
		return c.opts.Listener, nil
	}
	addr := ListenAddr(c.opts.Listen, c.opts.Spec, c.opts.LookupEnv)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return ln, nil
}

// serveHTTP starts the HTTP server on ln. The status page (`/`, the unit
// pages), /status and /metrics are behind the auth token when one is set;
// /healthz and /readyz stay open for Railway's health check.
func (c *Controller) serveHTTP(ln net.Listener) (*http.Server, error) {
	auth := statuspage.NewAuth(statuspage.AuthOptions{Token: c.opts.AuthToken, Now: c.opts.Now, Logger: c.log})
	page, err := c.newPage(auth)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n")) // the client may be gone; nothing to do
	})
	mux.HandleFunc("GET /readyz", c.handleReady)
	mux.Handle("GET /metrics", auth.Protect(promhttp.HandlerFor(c.m.reg, promhttp.HandlerOpts{
		ErrorLog: zap.NewStdLog(c.log.Named("metrics")), Registry: c.m.reg,
	})))
	mux.Handle("GET /status", auth.Protect(http.HandlerFunc(c.handleStatus)))
	mux.Handle("GET /status/{name...}", auth.Protect(http.HandlerFunc(c.handleUnitStatus)))
	page.Register(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: zap.NewStdLog(c.log.Named("http"))}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("http server stopped", zap.Error(err))
		}
	}()
	c.log.Info("http server listening", zap.String("addr", ln.Addr().String()), zap.Bool("auth", auth.Enabled()))
	return srv, nil
}

func (c *Controller) handleReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if reason := c.notReady(); reason != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintln(w, reason)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// notReady says why the controller is not ready, "" when it is. One spec:
// ready once the spec is valid and one Railway observation succeeded, or
// while standing by with the store reachable (ready means "can take
// over"). A fleet: ready once its units run (each unit's readiness is on
// /status: one unit's problem must not take the others out).
func (c *Controller) notReady() string {
	c.mu.Lock()
	stopping := c.stopping
	c.mu.Unlock()
	units := c.unitList()
	switch {
	case stopping:
		return "shutting down"
	case len(units) == 0 && !c.fleet:
		return "starting"
	case c.fleet:
		return ""
	}
	return units[0].notReady()
}

// notReady says why the unit is not ready, "" when it is.
func (u *unit) notReady() string {
	u.mu.Lock()
	specErrs, t := u.specErrs, u.term
	u.mu.Unlock()
	switch {
	case specErrs != nil:
		return "spec invalid: " + specErrs[0]
	case t == nil:
		if sh := u.shared.Load(); sh != nil && sh.err != nil {
			return sh.err.Error()
		}
		return "" // a standby that can reach the store can take over
	case u.observed.Load():
		return ""
	}
	const why = "no successful railway observation yet"
	if e := t.rec.Status().Railway.ObservationError; e != "" {
		return why + ": " + e
	}
	return why
}

// handleStatus serves /status: the status document of the one unit of a
// single-spec run, or the list of a fleet's units.
func (c *Controller) handleStatus(w http.ResponseWriter, _ *http.Request) {
	if c.fleet {
		writeJSON(w, http.StatusOK, c.FleetStatus())
		return
	}
	st, ok := c.Status()
	code := http.StatusOK
	if !ok {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, st)
}

// handleUnitStatus serves /status/NAME: one unit's status document.
func (c *Controller) handleUnitStatus(w http.ResponseWriter, r *http.Request) {
	u := c.unitNamed(r.PathValue("name"))
	if u == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such unit"})
		return
	}
	writeJSON(w, http.StatusOK, u.status())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client may be gone; nothing to do
}

// Status returns the status document of a single-spec run's unit (the
// first unit of a fleet), with specValid and specErrors from the last
// reload. ok is false while the controller is starting, when the document
// is a bare Pending one.
func (c *Controller) Status() (st reconcile.Status, ok bool) {
	units := c.unitList()
	if len(units) == 0 {
		return reconcile.StatusOf(state.New(c.Spec().Name, c.opts.Now())), false
	}
	return units[0].status(), true
}

// status is the unit's status document: its live state while it leads,
// the stored one (with the leader named) while it stands by.
func (u *unit) status() reconcile.Status {
	u.mu.Lock()
	t, errs := u.term, u.specErrs
	u.mu.Unlock()
	var st reconcile.Status
	switch {
	case t != nil:
		st = t.rec.Status() // from the last published snapshot
		st.Leader, st.LeaseExpires = t.lease.Holder().Instance, t.lease.Expires()
	case u.shared.Load() != nil:
		st = u.shared.Load().status
	default:
		st = reconcile.StatusOf(state.New(u.name, u.c.opts.Now()))
	}
	st.SpecValid, st.SpecErrors = errs == nil, errs
	if iv := u.stretchedInterval(); iv > 0 {
		st.ReconcileInterval = spec.FormatDuration(iv)
	}
	return st
}

// FleetStatus is /status of a fleet: every unit at a glance (each unit's
// document is at /status/NAME), and the spec files that failed to load.
type FleetStatus struct {
	Units   []UnitSummary `json:"units"`
	Invalid []InvalidSpec `json:"invalid"`
}

// UnitSummary is one unit in FleetStatus.
type UnitSummary struct {
	Name  string      `json:"name"`
	Spec  string      `json:"spec"`
	Phase state.Phase `json:"phase"`
	Since time.Time   `json:"since"`
	Ready bool        `json:"ready"`
	// Reason is the Ready condition's reason when not ready.
	Reason string `json:"reason,omitempty"`
	Leader string `json:"leader,omitempty"`
	// ReconcileInterval is the effective reconcile interval, when the
	// budget stretched it.
	ReconcileInterval string `json:"reconcileInterval,omitempty"`
}

// InvalidSpec is a spec file that failed to load: its units are not run
// (Ready=False, reason SpecInvalid) while the others go on.
type InvalidSpec struct {
	File     string   `json:"file"`
	Ready    bool     `json:"ready"`
	Reason   string   `json:"reason"`
	Problems []string `json:"problems"`
}

// FleetStatus returns the fleet's status.
func (c *Controller) FleetStatus() FleetStatus {
	fs := FleetStatus{Units: []UnitSummary{}, Invalid: []InvalidSpec{}}
	for _, u := range c.unitList() {
		st := u.status()
		s := UnitSummary{Name: u.name, Spec: u.specName, Phase: st.Phase, Since: st.Since, Leader: st.Leader,
			ReconcileInterval: st.ReconcileInterval}
		for _, cond := range st.Conditions {
			if cond.Type == state.CondReady {
				s.Ready, s.Reason = cond.Status == state.True, cond.Reason
			}
		}
		if !st.SpecValid {
			s.Ready, s.Reason = false, state.ReasonSpecInvalid
		}
		if s.Ready {
			s.Reason = ""
		}
		fs.Units = append(fs.Units, s)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.invalid {
		fs.Invalid = append(fs.Invalid, InvalidSpec{File: f.File, Reason: state.ReasonSpecInvalid, Problems: f.Problems})
	}
	return fs
}

// shutdownHTTP closes the HTTP server, waiting briefly for requests.
func shutdownHTTP(srv *http.Server, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close() // requests still open after the bound are cut
	}
}
