package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/app"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// ctrlStopTimeout bounds the wait for the controller's shutdown (it
// promises 10 s).
const ctrlStopTimeout = 15 * time.Second

// ctrlRun is the controller running in the background.
type ctrlRun struct {
	url    string
	cancel context.CancelFunc
	done   chan error // Run's result, once

	mu     sync.Mutex
	app    *app.App // set by the Build hook
	exited bool     // Run returned
	err    error    // Run's result once it returned
}

// startController loads the generated spec and runs the real controller
// (the code of `reconciler run`) on a loopback listener. The reconciler's
// hooks are chained, through the controller's Build seam, to the tracker
// and the narration; app.Build itself does the wiring.
func (s *sandbox) startController(ctx context.Context) error {
	sp, err := spec.Load(s.specPath, s.lookupEnv)
	if err != nil {
		return fmt.Errorf("demo: the generated spec is invalid: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listening for the controller: %w", err)
	}
	r := &ctrlRun{url: "http://" + ln.Addr().String(), done: make(chan error, 1)}
	c, err := controller.New(controller.Options{
		SpecPath: s.specPath, Spec: sp, Listener: ln, LookupEnv: s.lookupEnv,
		Logger: s.opts.Logger, Version: s.opts.Version, Stdout: s.n,
		Command: s.holder(), // the lock names the demo, not `reconciler run`
		Build: func(ctx context.Context, o app.Options) (*app.App, error) {
			o.Hooks = s.chainHooks(o.Hooks)
			a, err := app.Build(ctx, o)
			r.mu.Lock()
			r.app = a
			r.mu.Unlock()
			return a, err
		},
	})
	if err != nil {
		_ = ln.Close() // never served
		return fmt.Errorf("demo: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	go func() {
		err := c.Run(runCtx)
		r.mu.Lock()
		r.exited, r.err = true, err
		r.mu.Unlock()
		r.done <- err
		s.track.poke()
	}()
	s.ctrl = r
	s.n.say("setup", "controller (the code of `reconciler run`) at %s: /status, /metrics", r.url)
	return nil
}

// holder is how the demo's controller describes itself in the state lock,
// which `apply` and the other commands quote when they find it taken.
func (s *sandbox) holder() string {
	if s.opts.Keep {
		return "reconciler demo --keep"
	}
	return "reconciler demo"
}

// chainHooks adds the demo's observers after the controller's own hooks.
func (s *sandbox) chainHooks(h reconcile.Hooks) reconcile.Hooks {
	event, phase, pass := h.Event, h.Phase, h.Pass
	h.Event = func(e state.Event) {
		if event != nil {
			event(e)
		}
		s.n.hook("event", "%s: %s", e.Type, e.Message)
		s.track.event(e)
	}
	h.Phase = func(from, to state.Phase, reason string) {
		if phase != nil {
			phase(from, to, reason)
		}
		s.phaseChanged(from, to, reason)
	}
	h.Pass = func(result string, drift int) {
		if pass != nil {
			pass(result, drift)
		}
		s.track.pass(result)
	}
	return h
}

func (s *sandbox) phaseChanged(from, to state.Phase, reason string) {
	if reason != "" {
		s.n.hook("PHASE", "%s → %s  (%s)", from, to, reason)
	} else {
		s.n.hook("PHASE", "%s → %s", from, to)
	}
	s.track.setPhase(to)
	if s.opts.OnPhase != nil {
		s.opts.OnPhase(to)
	}
}

// reconciler is the running reconciler, nil until the controller built it.
func (r *ctrlRun) reconciler() *reconcile.Reconciler {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.app == nil {
		return nil
	}
	return r.app.Reconciler
}

// failed returns why the controller stopped, nil while it runs.
func (r *ctrlRun) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.exited:
		return nil
	case r.err != nil:
		return fmt.Errorf("demo: the controller stopped: %w", r.err)
	}
	return errors.New("demo: the controller stopped")
}

// stop cancels the controller and waits for its clean shutdown.
func (r *ctrlRun) stop() error {
	r.cancel()
	timeout := time.NewTimer(ctrlStopTimeout)
	defer timeout.Stop()
	select {
	case err := <-r.done:
		if err != nil {
			return fmt.Errorf("demo: the controller stopped with an error: %w", err)
		}
		return nil
	case <-timeout.C:
		return errors.New("demo: the controller did not stop in time")
	}
}
