package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/reconcile"
)

// Control actions served on the control socket.
const (
	ActionRollback    = "rollback"
	ActionRollForward = "rollforward"
)

// maxSocketPath is the longest unix socket path Linux accepts (sun_path is
// 108 bytes with the terminating NUL).
const maxSocketPath = 107

// controlTimeout bounds one control action (its Railway writes).
const controlTimeout = time.Minute

// ErrControlUnavailable means nothing answers on the control socket: the
// controller is gone (a stale socket) or is not serving one.
var ErrControlUnavailable = errors.New("the running controller does not answer on its control socket")

// ControlRequest is the body of a control request.
type ControlRequest struct {
	Reason string `json:"reason,omitempty"`
}

// ControlResponse is the answer to a control request.
type ControlResponse struct {
	// Phase is the phase after the action.
	Phase string `json:"phase,omitempty"`
	// Error says why the action failed; for a rollback whose writes failed,
	// the hold is recorded and the writes are retried every round.
	Error string `json:"error,omitempty"`
}

// controlServer serves the control API on a unix socket.
type controlServer struct {
	path string
	srv  *http.Server
}

// listenControl binds the control socket at path (mode 0600), replacing a
// stale one: the caller holds the unit's lease, so no other controller can
// be serving it.
func listenControl(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing a stale control socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("binding the control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("restricting the control socket: %w", err)
	}
	return ln, nil
}

// startControl serves the control socket of term t, beside the state
// file; failing to is not fatal (the controller still reconciles), and is
// logged.
func (u *unit) startControl(t *term) *controlServer {
	path := ControlSocketPath(u.Spec().State.Path)
	if len(path) > maxSocketPath {
		u.log.Warn("control socket disabled: its path is too long; rollback and rollforward cannot reach this process",
			zap.String("path", path))
		return nil
	}
	ln, err := listenControl(path)
	if err != nil {
		u.log.Warn("control socket disabled; rollback and rollforward cannot reach this process", zap.Error(err))
		return nil
	}
	u.log.Debug("control socket listening", zap.String("path", path))
	return u.serveControl(t.ctx, ln, path)
}

// serveControl starts the control API on ln; actions run under ctx (not the
// request's), so a client that goes away does not cut a write in half.
func (u *unit) serveControl(ctx context.Context, ln net.Listener, path string) *controlServer {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /"+ActionRollback, func(w http.ResponseWriter, r *http.Request) {
		u.handleControl(ctx, w, r, ActionRollback)
	})
	mux.HandleFunc("POST /"+ActionRollForward, func(w http.ResponseWriter, r *http.Request) {
		u.handleControl(ctx, w, r, ActionRollForward)
	})
	cs := &controlServer{path: path, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = cs.srv.Serve(ln) }() // returns http.ErrServerClosed at shutdown
	return cs
}

// shutdown stops accepting, waits for the actions in flight (bounded by
// ctx) and removes the socket.
func (cs *controlServer) shutdown(ctx context.Context) {
	_ = cs.srv.Shutdown(ctx) // on timeout the actions keep their own bound
	_ = os.Remove(cs.path)
}

func (u *unit) handleControl(ctx context.Context, w http.ResponseWriter, r *http.Request, action string) {
	var req ControlRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeControl(w, http.StatusBadRequest, ControlResponse{Error: "invalid request body: " + err.Error()})
		return
	}
	t := u.currentTerm()
	if t == nil {
		writeControl(w, http.StatusServiceUnavailable, ControlResponse{Error: "this process does not lead the unit (standby)"})
		return
	}
	rec := t.rec
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	var err error
	switch action {
	case ActionRollback:
		reason := strings.TrimSpace(req.Reason)
		if reason == "" {
			writeControl(w, http.StatusBadRequest, ControlResponse{Error: "a rollback needs a reason"})
			return
		}
		u.log.Info("manual rollback requested", zap.String("reason", reason))
		err = rec.Rollback(ctx, reason)
	case ActionRollForward:
		u.log.Info("manual roll forward requested")
		err = rec.RollForward(ctx)
	}
	resp := ControlResponse{Phase: string(rec.Status().Phase)}
	switch {
	case errors.Is(err, reconcile.ErrNothingToRollForward):
		resp.Error = err.Error()
		writeControl(w, http.StatusConflict, resp)
	case err != nil:
		resp.Error = err.Error()
		writeControl(w, http.StatusBadGateway, resp)
	default:
		writeControl(w, http.StatusOK, resp)
	}
}

func writeControl(w http.ResponseWriter, code int, resp ControlResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(resp) // the client may be gone; nothing to do
}

// SendControl asks the controller serving socketPath (state.Holder.Control
// of the lock's holder) to carry out action: ActionRollback with a reason,
// or ActionRollForward. A roll forward when nothing is rolled back is
// reconcile.ErrNothingToRollForward; a socket nobody answers on is
// ErrControlUnavailable. Other errors carry the controller's answer (for a
// rollback whose writes failed, the hold is recorded and the writes are
// retried every round).
func SendControl(ctx context.Context, socketPath, action, reason string) error {
	body, err := json.Marshal(ControlRequest{Reason: reason})
	if err != nil {
		return fmt.Errorf("encoding the control request: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://controller/"+action, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building the control request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return fmt.Errorf("%w (%s): %w", ErrControlUnavailable, socketPath, err)
		}
		return fmt.Errorf("%s via the control socket: %w", action, err)
	}
	defer resp.Body.Close()
	var out ControlResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil {
		return fmt.Errorf("reading the control answer (HTTP %d): %w", resp.StatusCode, err)
	}
	switch {
	case resp.StatusCode == http.StatusConflict:
		return fmt.Errorf("%w (phase %s)", reconcile.ErrNothingToRollForward, out.Phase)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s: %s", action, out.Error)
	}
	return nil
}
