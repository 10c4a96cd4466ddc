package reconcile_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

const bound = "${{Redis.REDIS_URL}}"

func TestApplyConvergesFromEmptyProject(t *testing.T) {
	e := newEnv(t)
	res := e.converge()
	if res.Phase != state.Healthy {
		t.Fatalf("phase = %s, want Healthy", res.Phase)
	}
	if got := e.backendVars()["REDIS_URL"]; got != bound {
		t.Fatalf("backend REDIS_URL = %q, want %q", got, bound)
	}
	if e.redisServices() != 1 || e.backendDeploys() != 2 {
		t.Fatalf("redis services %d, backend deploys %d; want 1 and 2 (the seed and ours)", e.redisServices(), e.backendDeploys())
	}
	st := e.rec.State()
	for _, typ := range []string{state.EventAddonCreating, state.EventAddonCreated, state.EventVariablesSet,
		state.EventDeploying, state.EventDeployed, state.EventBound} {
		if !hasEvent(st, typ) {
			t.Errorf("no %s event in %v", typ, eventTypes(st))
		}
	}
	if c, _ := st.Condition(state.CondReady); c.Status != state.True {
		t.Errorf("Ready = %+v", c)
	}

	// A second apply sends no mutation, and a plan has nothing to do.
	before := e.sim.MutationCount()
	e.converge()
	if n := e.sim.MutationCount() - before; n != 0 {
		t.Fatalf("second apply sent %d mutations", n)
	}
	if res := e.rec.Pass(t.Context(), reconcile.PassOptions{Probe: true, DryRun: true}); res.Plan.Pending() || len(res.Plan.Drift) > 0 {
		t.Fatalf("plan after convergence: %+v", res.Plan)
	}
	e.checkSafety()
}

func TestSteadyStateCostsOneRequest(t *testing.T) {
	e := newEnv(t)
	e.converge()
	e.sim.ResetLog()
	e.saves.Store(0)
	for range 5 {
		e.rec.Pass(t.Context(), reconcile.PassOptions{})
	}
	if n := e.sim.RequestCount(); n != 5 {
		t.Fatalf("5 steady passes cost %d requests, want 5: %v", n, opNames(e.sim.Requests()))
	}
	// One save per pass and per round, even when only counters moved: the
	// streaks drive rollback and roll forward across a restart, and
	// `status` reads the file. Mutations add saves of their own.
	if n := e.saves.Load(); n != 5 {
		t.Fatalf("5 steady passes saved the state %d times, want 5", n)
	}
	for range 3 {
		if _, err := e.rec.Round(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.saves.Load() - 5; n != 3 {
		t.Fatalf("3 steady rounds saved the state %d times, want 3", n)
	}
	if n := e.sim.RequestCount(); n != 5 {
		t.Fatalf("steady rounds sent %d Railway requests: %v", n-5, opNames(e.sim.Requests()))
	}
}

func TestHandEditedVariableIsRestoredWithOneDeploy(t *testing.T) {
	e := newEnv(t)
	e.converge()
	deploys := e.backendDeploys()
	e.sim.SetVariables(e.envID, e.backendID, map[string]string{"REDIS_URL": "redis://old:6379"})
	res := e.pass()
	if got := planLines(res.Plan); !strings.Contains(got, `set backend REDIS_URL: is "redis://old:6379", want "${{Redis.REDIS_URL}}"`) {
		t.Fatalf("plan:\n%s", got)
	}
	e.converge()
	if got := e.backendVars()["REDIS_URL"]; got != bound {
		t.Fatalf("REDIS_URL = %q", got)
	}
	if n := e.backendDeploys() - deploys; n != 1 {
		t.Fatalf("%d deploys for one correction, want 1", n)
	}
	if !hasEvent(e.rec.State(), state.EventVariablesCorrected) {
		t.Fatalf("the correction is not recorded as one: %v", eventTypes(e.rec.State()))
	}
	e.checkSafety()
}

func TestRedisKilledRollsBackThenRollsForward(t *testing.T) {
	e := newEnv(t, withSpec("rollback:\n  recoveryThreshold: 3\n  minRolledBack: 1m\n"))
	e.converge()
	deploys := e.backendDeploys()
	e.redis.Kill()
	for i, want := range []state.Phase{state.Degraded, state.Degraded, state.RolledBack} {
		if res := e.pass(); res.Phase != want {
			t.Fatalf("pass %d: phase %s, want %s (%v)", i+1, res.Phase, want, res.Err)
		}
	}
	if got, ok := e.backendVars()["REDIS_URL"]; !ok || got != "" {
		t.Fatalf("after rollback REDIS_URL = %q (set %v), want empty", got, ok)
	}
	if n := e.backendDeploys() - deploys; n != 1 {
		t.Fatalf("rollback deployed %d times, want 1", n)
	}
	if err := e.redis.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Three healthy rounds, but not yet a minute rolled back: recovering.
	phases := []state.Phase{}
	for range 3 {
		phases = append(phases, e.pass().Phase)
	}
	if phases[2] != state.Recovering {
		t.Fatalf("phases after restart %v, want Recovering before minRolledBack", phases)
	}
	e.clock.Advance(time.Minute)
	res := e.pass()
	if !hasEvent(e.rec.State(), state.EventRolledForward) {
		t.Fatalf("no roll forward after the thresholds: phase %s", res.Phase)
	}
	e.converge()
	if got := e.backendVars()["REDIS_URL"]; got != bound {
		t.Fatalf("after roll forward REDIS_URL = %q", got)
	}
	if n := e.backendDeploys() - deploys; n != 2 {
		t.Fatalf("%d deploys for a rollback and a roll forward, want 2", n)
	}
	e.checkSafety()
}

func TestFlappingRedisEndsHeldAndRollforwardLeaves(t *testing.T) {
	e := newEnv(t, withSpec("rollback:\n  failureThreshold: 1\n  recoveryThreshold: 1\n  minRolledBack: 1s\n  maxRollbacks: 2\n"))
	e.converge()
	for cycle := 0; cycle < 3; cycle++ {
		e.redis.Kill()
		e.pass()
		if err := e.redis.Restart(t.Context()); err != nil {
			t.Fatal(err)
		}
		if e.rec.State().Phase == state.Held {
			break
		}
		e.clock.Advance(time.Hour / 100)
		e.pass()
	}
	if p := e.rec.State().Phase; p != state.Held {
		t.Fatalf("phase %s after flapping, want Held", p)
	}
	for range 5 {
		if p := e.pass().Phase; p != state.Held {
			t.Fatalf("left Held on its own: %s", p)
		}
	}
	if err := e.rec.RollForward(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.converge()
	if p := e.rec.State().Phase; p != state.Healthy {
		t.Fatalf("phase %s after rollforward", p)
	}
	if got := e.backendVars()["REDIS_URL"]; got != bound {
		t.Fatalf("REDIS_URL = %q after rollforward", got)
	}
	e.checkSafety()
}

func TestManualRollbackHolds(t *testing.T) {
	e := newEnv(t)
	e.converge()
	if err := e.rec.Rollback(t.Context(), "redis maintenance"); err != nil {
		t.Fatal(err)
	}
	if got := e.backendVars()["REDIS_URL"]; got != "" {
		t.Fatalf("REDIS_URL = %q after manual rollback", got)
	}
	for range 20 {
		if p := e.pass().Phase; p != state.Held {
			t.Fatalf("phase %s, want Held until rollforward", p)
		}
	}
	if err := e.rec.RollForward(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := e.rec.RollForward(t.Context()); !errors.Is(err, reconcile.ErrNothingToRollForward) {
		t.Fatalf("second rollforward = %v", err)
	}
}

// A failed or partial read never leads to a creation: with 30% of requests
// failing over 100 passes, exactly one Redis service is ever created.
func TestFaultyRailwayCreatesExactlyOneAddon(t *testing.T) {
	e := newEnv(t)
	var created atomic.Int32
	e.sim.OnTemplateDeploy(func(string) map[string]string {
		created.Add(1)
		return map[string]string{"REDISHOST": e.redis.Host(), "REDISPORT": itoa(e.redis.Port()), "REDIS_PASSWORD": e.redis.Password()}
	})
	e.sim.SetFaults(railwaytest.Faults{Error500: 0.1, RateLimit429: 0.1, HTML403: 0.05, AfterExecute500: 0.05, Seed: 7})
	for range 100 {
		e.pass()
	}
	if n := created.Load(); n != 1 {
		t.Fatalf("%d Redis services created, want exactly 1", n)
	}
	e.sim.SetFaults(railwaytest.Faults{})
	e.converge()
	if got := e.backendVars()["REDIS_URL"]; got != bound {
		t.Fatalf("REDIS_URL = %q", got)
	}
	e.checkSafety()
}

// killAfter wraps the Railway client and "kills the process" (fails) at a
// chosen step.
type killAfter struct {
	reconcile.Railway
	deploySends bool // the deploy reaches Railway before the process dies
	armed       atomic.Bool
}

var errKilled = errors.New("process killed")

func (k *killAfter) DeployService(ctx context.Context, envID, serviceID string) (string, error) {
	if !k.armed.Load() {
		return k.Railway.DeployService(ctx, envID, serviceID)
	}
	k.armed.Store(false)
	if k.deploySends {
		if _, err := k.Railway.DeployService(ctx, envID, serviceID); err != nil {
			return "", err
		}
	}
	return "", errKilled
}

func TestKilledBetweenWriteAndDeployIsCompletedOnce(t *testing.T) {
	for _, sends := range []bool{false, true} {
		name := "deploy never sent"
		if sends {
			name = "deploy sent, id lost"
		}
		t.Run(name, func(t *testing.T) {
			k := &killAfter{deploySends: sends}
			e := newEnv(t, withRailway(func(r reconcile.Railway) reconcile.Railway { k.Railway = r; return k }))
			e.converge()
			deploys := e.backendDeploys()
			e.sim.SetVariables(e.envID, e.backendID, map[string]string{"REDIS_URL": "redis://old:6379"})
			k.armed.Store(true)
			if res := e.pass(); !errors.Is(res.Err, errKilled) {
				t.Fatalf("pass err = %v, want the kill", res.Err)
			}
			// A new process takes over from the state file.
			e.open(nil)
			e.converge()
			if n := e.backendDeploys() - deploys; n != 1 {
				t.Fatalf("%d deploys, want exactly 1", n)
			}
			if got := e.backendVars()["REDIS_URL"]; got != bound {
				t.Fatalf("REDIS_URL = %q", got)
			}
		})
	}
}

func TestRailwayOutageIsUnknownAndMakesNoCorrection(t *testing.T) {
	e := newEnv(t)
	e.converge()
	e.sim.SetFaults(railwaytest.Faults{Error500: 1})
	before := e.sim.MutationCount()
	res := e.pass()
	if res.Phase != state.Unknown {
		t.Fatalf("phase %s during a Railway outage, want Unknown", res.Phase)
	}
	if n := e.sim.MutationCount() - before; n != 0 {
		t.Fatalf("%d mutations while Unknown", n)
	}
}

func TestRollbackGoesAheadWhileRailwayReadsFail(t *testing.T) {
	fail := &failObserve{}
	e := newEnv(t, withRailway(func(r reconcile.Railway) reconcile.Railway { fail.Railway = r; return fail }))
	e.converge()
	e.redis.Kill()
	e.pass()
	e.pass()
	// Railway reads fail from now on; writes still go through.
	fail.on.Store(true)
	res := e.pass()
	if res.Phase != state.Unknown {
		t.Fatalf("phase %s, want Unknown", res.Phase)
	}
	if got := e.backendVars()["REDIS_URL"]; got != "" {
		t.Fatalf("the rollback was not written while Unknown: REDIS_URL = %q", got)
	}
	st := e.rec.State()
	if st.Health.Mode != state.ModeRolledBack || len(st.Owed) != 0 {
		t.Fatalf("mode %s, owed %v", st.Health.Mode, st.Owed)
	}
	if d := st.DeployFor("backend"); d == nil || d.DeploymentID == "" {
		t.Fatalf("no rollback deploy tracked: %+v", d)
	}
	fail.on.Store(false)
	e.converge()
	if p := e.rec.State().Phase; p != state.RolledBack {
		t.Fatalf("phase %s once Railway answers again, want RolledBack", p)
	}
}

type failObserve struct {
	reconcile.Railway
	on atomic.Bool
}

func (f *failObserve) Observe(ctx context.Context, p, e string, ids []string) (*railway.Observation, error) {
	if f.on.Load() {
		return nil, &railway.TransientError{Op: "Observe", Status: 503, Err: errors.New("service unavailable")}
	}
	return f.Railway.Observe(ctx, p, e, ids)
}

// blockingUpsert holds UpsertVariables until released or its ctx ends,
// reporting which.
type blockingUpsert struct {
	reconcile.Railway
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
	ended   chan error
}

func (b *blockingUpsert) UpsertVariables(ctx context.Context, p, e, s string, vars map[string]string) error {
	if !b.armed.CompareAndSwap(true, false) {
		return b.Railway.UpsertVariables(ctx, p, e, s, vars)
	}
	close(b.entered)
	select {
	case <-b.release:
		b.ended <- nil
		return b.Railway.UpsertVariables(ctx, p, e, s, vars)
	case <-ctx.Done():
		b.ended <- ctx.Err()
		return ctx.Err()
	}
}

func TestRoundsInterruptAPassOnlyToRollBack(t *testing.T) {
	b := &blockingUpsert{entered: make(chan struct{}), release: make(chan struct{}), ended: make(chan error, 1)}
	e := newEnv(t, withRailway(func(r reconcile.Railway) reconcile.Railway { b.Railway = r; return b }))
	e.converge()
	e.sim.SetVariables(e.envID, e.backendID, map[string]string{"REDIS_URL": "redis://old:6379"})
	b.armed.Store(true)
	pass := make(chan *reconcile.Result, 1)
	go func() { pass <- e.rec.Pass(t.Context(), reconcile.PassOptions{}) }()
	waitChan(t, b.entered, "the pass's write")

	// A healthy round neither waits for the pass nor cancels its write.
	if _, err := e.rec.Round(t.Context()); err != nil {
		t.Fatalf("round during the pass's write: %v", err)
	}
	select {
	case err := <-b.ended:
		t.Fatalf("a healthy round interrupted the pass's write: %v", err)
	default:
	}
	if p := e.rec.State().LastProbe; p == nil || !p.Healthy {
		t.Fatalf("the round was not applied while the pass wrote: %+v", p)
	}
	close(b.release)
	if err := <-b.ended; err != nil {
		t.Fatalf("the pass's write ended with %v", err)
	}
	if res := <-pass; res.Err != nil || res.Interrupted {
		t.Fatalf("pass: %v (interrupted %v)", res.Err, res.Interrupted)
	}

	// A round that must roll back interrupts a pass's write at once.
	b.entered, b.release = make(chan struct{}), make(chan struct{})
	e.sim.SetVariables(e.envID, e.backendID, map[string]string{"REDIS_URL": "redis://old:6379"})
	e.redis.Kill()
	for range 2 {
		if _, err := e.rec.Round(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	b.armed.Store(true)
	go func() { pass <- e.rec.Pass(t.Context(), reconcile.PassOptions{}) }()
	waitChan(t, b.entered, "the pass's write")
	if _, err := e.rec.Round(t.Context()); err != nil {
		t.Fatalf("rollback round: %v", err)
	}
	if err := <-b.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the pass's write ended with %v, want cancelled by the rollback", err)
	}
	if res := <-pass; !res.Interrupted || res.Err != nil {
		t.Fatalf("pass = interrupted %v, err %v; want interrupted without error", res.Interrupted, res.Err)
	}
	if got := e.backendVars()["REDIS_URL"]; got != "" {
		t.Fatalf("REDIS_URL = %q after the rollback round", got)
	}
}

func waitChan(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
