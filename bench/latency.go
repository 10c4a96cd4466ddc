package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/clock"
	"github.com/smartlic/reconciler/internal/pgserver"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// failure is one way to break Redis, and how to repair it.
type failure struct {
	name   string
	break_ func(e *env) error
	repair func(ctx context.Context, e *env) error
}

var failures = []failure{
	{"killed (SIGKILL)",
		func(e *env) error { e.redis.Kill(); return nil },
		func(ctx context.Context, e *env) error { return e.redis.Restart(ctx) }},
	{"hung (SIGSTOP)",
		func(e *env) error { return e.redis.Stop() },
		func(_ context.Context, e *env) error { return e.redis.Cont() }},
}

// latency runs the controller in-process and measures, per failure kind,
// the time from breaking Redis to the rollback write reaching the
// simulator, and from repairing it to the roll-forward write. With
// postgres, the state is kept in a real PostgreSQL (default lease timings).
func latency(ctx context.Context, c config, postgres bool) error {
	var pg *pgserver.Options
	backend := "file"
	if postgres {
		pg, backend = &pgserver.Options{}, "postgres"
	}
	e, err := newEnv(ctx, pg)
	if err != nil {
		return err
	}
	defer e.close()
	if err := e.writeSpec(c, "@every 5s"); err != nil {
		return err
	}
	ctrl, stop, err := startController(ctx, c, e)
	if err != nil {
		return err
	}
	defer stop()
	if err := waitFor(ctx, time.Minute, "convergence", func() bool { return healthy(ctrl) && e.bound() }); err != nil {
		return err
	}
	window := time.Duration(c.failures)*c.probe + c.timeout
	fmt.Printf("rollback latency, %s backend: failureThreshold %d × probe %s + probeTimeout %s = window %s; %d trials each\n",
		backend, c.failures, c.probe, c.timeout, window, c.trials)
	for _, f := range failures {
		var back, forth, act []time.Duration
		for i := range c.trials {
			r, err := trial(ctx, c, e, ctrl, f)
			if err != nil {
				return fmt.Errorf("%s, trial %d: %w", f.name, i+1, err)
			}
			back, forth, act = append(back, r.rollback), append(forth, r.rollforward), append(act, r.act)
		}
		printLatency(f.name, back, forth, act, window, c)
	}
	fmt.Println()
	return nil
}

// result is one trial's figures.
type result struct {
	// rollback: Redis broken → rollback write received; rollforward: Redis
	// answering again → restoring write received; act: the machine's
	// rollback decision (its event) → rollback write received.
	rollback, rollforward, act time.Duration
}

// trial breaks Redis at a random point of the probe interval, waits for
// the rollback write, repairs Redis and waits for the roll-forward write,
// then for the phase to be Healthy again.
func trial(ctx context.Context, c config, e *env, ctrl *controller.Controller, f failure) (result, error) {
	var r result
	if err := waitFor(ctx, time.Minute, "Healthy", func() bool { return healthy(ctrl) && e.bound() }); err != nil {
		return r, err
	}
	// Sample the failure's phase within the probe interval uniformly.
	if err := clock.Sleep(ctx, time.Duration(rand.Int64N(int64(c.probe)))); err != nil {
		return r, err
	}
	dead := time.Now()
	if err := f.break_(e); err != nil {
		return r, err
	}
	var at time.Time
	if err := waitFor(ctx, time.Minute, "the rollback write", func() bool {
		var ok bool
		at, ok = e.firstUpsert(dead, "")
		return ok
	}); err != nil {
		return r, err
	}
	r.rollback = at.Sub(dead)
	if decided, ok := eventAfter(ctrl, state.EventRolledBack, dead); ok {
		r.act = at.Sub(decided)
	}
	if err := f.repair(ctx, e); err != nil {
		return r, err
	}
	back := time.Now()
	if err := waitFor(ctx, time.Minute, "the roll-forward write", func() bool {
		var ok bool
		at, ok = e.firstUpsert(back, declaredURL)
		return ok
	}); err != nil {
		return r, err
	}
	r.rollforward = at.Sub(back)
	return r, nil
}

// eventAfter returns the time of the first event of type typ after t.
func eventAfter(ctrl *controller.Controller, typ string, t time.Time) (time.Time, bool) {
	st, _ := ctrl.Status()
	for _, e := range st.Events {
		if e.Type == typ && e.At.After(t) {
			return e.At, true
		}
	}
	return time.Time{}, false
}

func healthy(ctrl *controller.Controller) bool {
	st, ok := ctrl.Status()
	return ok && st.Phase == state.Healthy
}

// startController runs the controller in-process on e's spec.
func startController(ctx context.Context, c config, e *env) (*controller.Controller, func(), error) {
	sp, err := spec.Load(e.specPath, e.lookup)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	log := zap.NewNop()
	if c.verbose {
		log = zap.Must(zap.NewDevelopment(zap.IncreaseLevel(zap.InfoLevel)))
	}
	ctrl, err := controller.New(controller.Options{SpecPath: e.specPath, Spec: sp, Listener: ln, LookupEnv: e.lookup,
		Logger: log, Version: "bench", Stdout: io.Discard})
	if err != nil {
		_ = ln.Close() // never served
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- ctrl.Run(runCtx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "bench: controller:", err)
		}
	}
	return ctrl, stop, nil
}

func printLatency(name string, back, forth, act []time.Duration, window time.Duration, c config) {
	mb, xb := medianMax(back)
	mf, xf := medianMax(forth)
	ma, xa := medianMax(act)
	fmt.Printf("  redis %-17s rollback median %6s max %6s | overhead over the window: median %+5dms max %+5dms\n",
		name, ms(mb), ms(xb), (mb - window).Milliseconds(), (xb - window).Milliseconds())
	fmt.Printf("  %-23s decision → write received: median %s max %s\n", "", ma.Round(10*time.Microsecond), xa.Round(10*time.Microsecond))
	fmt.Printf("  %-23s roll forward median %6s max %6s (recoveryThreshold %d × probe %s)\n",
		"", ms(mf), ms(xf), c.recovery, c.probe)
}

func medianMax(ds []time.Duration) (median, maximum time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0, 0
	}
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[n-1]
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }
