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

	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/reconcile"
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

// notReady says why the controller is not ready, "" when it is: ready once
// the spec is valid and one Railway observation succeeded.
//
// A standby (another process holds the unit's lease) is ready: ready
// means "can take over".
func (c *Controller) notReady() string {
	c.mu.Lock()
	stopping, specErrs, a, t := c.stopping, c.specErrs, c.app, c.term
	c.mu.Unlock()
	switch {
	case stopping:
		return "shutting down"
	case specErrs != nil:
		return "spec invalid: " + specErrs[0]
	case a == nil:
		return "starting"
	case t == nil:
		if sh := c.shared.Load(); sh != nil && sh.err != nil {
			return sh.err.Error()
		}
		return "" // a standby that can reach the store can take over
	case c.observed.Load():
		return ""
	}
	const why = "no successful railway observation yet"
	if e := t.rec.Status().Railway.ObservationError; e != "" {
		return why + ": " + e
	}
	return why
}

func (c *Controller) handleStatus(w http.ResponseWriter, _ *http.Request) {
	st, ok := c.Status()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(st) // the client may be gone; nothing to do
}

// Status returns the status document (CONTRACT section 7), with specValid
// and specErrors from the last reload. ok is false while the controller is
// starting, when the document is a bare Pending one.
//
// The leader serves its live state; a standby serves the stored one, with
// the leader named.
func (c *Controller) Status() (st reconcile.Status, ok bool) {
	c.mu.Lock()
	a, t, name, errs := c.app, c.term, c.sp.Name, c.specErrs
	c.mu.Unlock()
	switch {
	case a == nil:
		st = reconcile.StatusOf(state.New(name, c.opts.Now()))
	case t != nil:
		st = t.rec.Status() // from the last published snapshot
		st.Leader, st.LeaseExpires = t.lease.Holder().Instance, t.lease.Expires()
	default:
		st = c.standbyStatus(a, name)
	}
	st.SpecValid, st.SpecErrors = errs == nil, errs
	return st, a != nil
}

// standbyStatus is the status document of a unit another process leads:
// the shared state as last read by followShared, with the leader named.
func (c *Controller) standbyStatus(_ *app.App, name string) reconcile.Status {
	if sh := c.shared.Load(); sh != nil {
		return sh.status
	}
	return reconcile.StatusOf(state.New(name, c.opts.Now()))
}

// shutdownHTTP closes the HTTP server, waiting briefly for requests.
func shutdownHTTP(srv *http.Server, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close() // requests still open after the bound are cut
	}
}
