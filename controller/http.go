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
	"github.com/smartlic/reconciler/state"
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

// serveHTTP starts the HTTP server on ln.
func (c *Controller) serveHTTP(ln net.Listener) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n")) // the client may be gone; nothing to do
	})
	mux.HandleFunc("GET /readyz", c.handleReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(c.m.reg, promhttp.HandlerOpts{
		ErrorLog: zap.NewStdLog(c.log.Named("metrics")), Registry: c.m.reg,
	}))
	mux.HandleFunc("GET /status", c.handleStatus)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: zap.NewStdLog(c.log.Named("http"))}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("http server stopped", zap.Error(err))
		}
	}()
	c.log.Info("http server listening", zap.String("addr", ln.Addr().String()))
	return srv
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
func (c *Controller) notReady() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.stopping:
		return "shutting down"
	case c.specErrs != nil:
		return "spec invalid: " + c.specErrs[0]
	case c.app == nil:
		return "starting"
	case !c.observed && c.lastObsErr != "":
		return "no successful railway observation yet: " + c.lastObsErr
	case !c.observed:
		return "no successful railway observation yet"
	}
	return ""
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
func (c *Controller) Status() (st reconcile.Status, ok bool) {
	c.mu.Lock()
	rec, name, errs := c.rec, c.sp.Name, c.specErrs
	c.mu.Unlock()
	if rec == nil {
		st = reconcile.StatusOf(state.New(name, c.opts.Now()))
	} else {
		// Reconciler.Status shares slices with the live state; a clone
		// can be encoded after the lock is released.
		st = reconcile.StatusOf(rec.State())
	}
	st.SpecValid, st.SpecErrors = errs == nil, errs
	return st, rec != nil
}

// shutdownHTTP closes the HTTP server, waiting briefly for requests.
func shutdownHTTP(srv *http.Server, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close() // requests still open after the bound are cut
	}
}
