package reconcile_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// Issue 11, item 1: addon creation is slow (the service is listed only when
// its workflow completes) and can fail ambiguously (Railway did the work,
// the answer was lost). These tests drive the reconciler as `run` does
// (runSim) on the manual clock.

// realWorkflow is how long the simulator's template workflows take in these
// tests: Railway's default as the simulator models it (services appear 12 s
// after the workflow starts).
func realWorkflow(o *railwaytest.Options) {
	o.WorkflowDuration = railwaytest.DefaultWorkflowDuration
	o.DeployDuration = 4 * time.Second
}

// redisCount counts the Redis services of the project, listed or still to
// appear when a running workflow completes (a second Redis is named
// "Redis-2").
func (e *env) redisCount() int {
	n := 0
	for _, name := range append(e.sim.Services(e.projectID), e.sim.PendingServices(e.projectID)...) {
		if name == "Redis" || strings.HasPrefix(name, "Redis-") {
			n++
		}
	}
	return n
}

// listedRedis counts the Redis services the project lists.
func (e *env) listedRedis() int {
	n := 0
	for _, name := range e.sim.Services(e.projectID) {
		if name == "Redis" || strings.HasPrefix(name, "Redis-") {
			n++
		}
	}
	return n
}

func countEvents(st *state.State, typ string) int {
	n := 0
	for _, ev := range st.Events {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// With services appearing 12 s after the workflow starts and the first
// templateDeployV2 executed but answered by a 502 (or by a dropped
// connection), every run creates exactly one Redis, adopts it by the
// difference of service ids, binds the consumer and ends Healthy. Each run
// is a fresh project, simulator and state, with its own seed for the
// reconcile schedule's jitter and its own phase between the schedules and
// the workflow, and a reconcile interval of 10 s, 30 s or 1 min; every
// fourth run also restarts the process right after the failed request (the
// intent saved before sending is all the new one has). The
// state is kept in memory as the JSON a file would hold (a file's fsyncs
// would make 125 runs slow on a loaded box).
func TestAmbiguousCreationCreatesExactlyOneRedis(t *testing.T) {
	shared := redistest.Start(t)
	cases := []struct {
		name string
		kind railwaytest.FaultKind
		runs int
	}{
		{"502 after execute", railwaytest.FaultAfterExecute502, 100},
		{"connection dropped after execute", railwaytest.FaultAfterExecuteDrop, 25},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range tc.runs {
				t.Run(fmt.Sprintf("run %d", seed), func(t *testing.T) {
					ambiguousCreationRun(t, shared, tc.kind, uint64(seed))
				})
			}
		})
	}
}

func ambiguousCreationRun(t *testing.T, shared *redisserver.Server, kind railwaytest.FaultKind, seed uint64) {
	e := newEnv(t, withRedis(shared), withSim(realWorkflow), withMemoryStore())
	e.sim.FailNextMutation("templateDeployV2", kind)
	// Start the schedules at a different moment of the probe grid per run.
	e.clock.Advance(time.Duration(seed%50) * 100 * time.Millisecond)
	s := newRunSim(e, seed)
	// schedule.reconcile: the default minute, or shorter (a follow-up pass
	// comes a quarter of it after a pass that waits: 2.5 s at 10 s, well
	// before the service appears).
	s.reconcile = []time.Duration{10 * time.Second, 30 * time.Second, time.Minute}[seed%3]
	restart := seed%4 == 1
	s.afterPass = func(*reconcile.Result) {
		if restart && s.passes == 1 {
			s.restart() // a new process, from the saved state: it passes at once
		}
	}
	s.run(5 * time.Minute)

	if n := e.redisCount(); n != 1 {
		t.Fatalf("%d Redis services, want exactly 1: %v (pending %v)", n, e.sim.Services(e.projectID), e.sim.PendingServices(e.projectID))
	}
	if n := e.countOp(railway.OpDeployTemplate); n != 1 {
		t.Fatalf("%d template deployments sent, want 1", n)
	}
	st := e.rec.State()
	if !hasEvent(st, state.EventAddonCreateAmbiguous) || !hasEvent(st, state.EventAddonCreated) || hasEvent(st, state.EventAddonCreateRetry) {
		t.Fatalf("events %v: want AddonCreateAmbiguous then AddonCreated, no retry", eventTypes(st))
	}
	if st.Phase != state.Healthy || st.Addon.ServiceID == "" || st.Addon.Creation != nil {
		t.Fatalf("phase %s, addon %+v after 5 min; want Healthy with the addon adopted", st.Phase, st.Addon)
	}
	if got := e.backendVars()["REDIS_URL"]; got != bound {
		t.Fatalf("backend REDIS_URL = %q", got)
	}
	e.checkSafety()
}

// A creation whose service takes longer than the grace period to appear is
// sent exactly once more, with an AddonCreateRetry event, and never a third
// time: neither when the first service finally appears (it is adopted) nor
// when none ever does (Blocked until a person looks). (A creation whose
// workflow Railway reports Running is not retried at all:
// TestRunningWorkflowIsNotCreatedAgain.)
func TestCreationSlowerThanGraceIsRetriedOnce(t *testing.T) {
	cases := []struct {
		name      string
		workflow  time.Duration
		redis     int // Redis services listed at the end
		ambiguous int // template deployments answered 502 after they executed
	}{
		// The first appears at 20 min (adopted: the second's Before did
		// not hold it), the second at 35 min: an orphan, by design.
		{"appears after 20 min", 20 * time.Minute, 2, 1},
		// Both answers lost, and no service within the grace periods.
		{"never appears", 24 * time.Hour, 0, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withSim(func(o *railwaytest.Options) { o.WorkflowDuration = tc.workflow }))
			for range tc.ambiguous {
				e.sim.FailNextMutation("templateDeployV2", railwaytest.FaultAfterExecute502)
			}
			s := newRunSim(e, 1)
			start := e.clock.Now()
			s.run(14 * time.Minute)
			if n := e.countOp(railway.OpDeployTemplate); n != 1 {
				t.Fatalf("%d template deployments within the grace period, want 1", n)
			}
			if w := strings.Join(s.last.Plan.Waiting, "\n"); !strings.Contains(w, "the creation request failed after it may have reached Railway") {
				t.Fatalf("the last pass within the grace period waits for %q", w)
			}
			s.run(2 * time.Hour)
			if n := e.countOp(railway.OpDeployTemplate); n != 2 {
				t.Fatalf("%d template deployments in 2 h, want exactly 2", n)
			}
			var retries []time.Time
			for _, r := range e.sim.Requests() {
				if r.OperationName == railway.OpDeployTemplate {
					retries = append(retries, r.At)
				}
			}
			if gap := retries[1].Sub(start); gap < 15*time.Minute {
				t.Fatalf("the second creation went %s after the first, before the 15 min grace", gap)
			}
			st := e.rec.State()
			if n := countEvents(st, state.EventAddonCreateRetry); n != 1 {
				t.Fatalf("%d AddonCreateRetry events, want 1: %v", n, eventTypes(st))
			}
			if n := e.listedRedis(); n != tc.redis {
				t.Fatalf("%d Redis services, want %d: %v", n, tc.redis, e.sim.Services(e.projectID))
			}
			if tc.redis == 0 {
				ready, _ := st.Condition(state.CondReady)
				if ready.Reason != state.ReasonBlocked || !strings.Contains(ready.Message, "was sent 2 times") {
					t.Fatalf("Ready = %+v, want Blocked after 2 attempts", ready)
				}
			} else if st.Phase != state.Healthy {
				t.Fatalf("phase %s, want Healthy on the first service", st.Phase)
			}
			e.checkSafety()
		})
	}
}

// A service of the creation that Railway named otherwise (here "Redis-2":
// someone took "Redis" meanwhile with another image) is adopted by the
// difference of ids and reported as drift; the consumers are not bound to
// it, and it is never a reason to create again.
func TestAddonFoundUnderAnotherNameIsDriftNotACreation(t *testing.T) {
	e := newEnv(t, withSim(realWorkflow))
	e.sim.FailNextMutation("templateDeployV2", railwaytest.FaultAfterExecute502)
	s := newRunSim(e, 7)
	s.run(3 * time.Second)
	e.sim.AddService(e.projectID, "Redis", "postgres:16")
	s.run(time.Hour)
	if n := e.countOp(railway.OpDeployTemplate); n != 1 {
		t.Fatalf("%d template deployments, want 1", n)
	}
	st := e.rec.State()
	if !slices.Contains(e.sim.Services(e.projectID), "Redis-2") || st.Addon.ServiceID == "" {
		t.Fatalf("services %v, addon %+v: want Redis-2 adopted", e.sim.Services(e.projectID), st.Addon)
	}
	ready, _ := st.Condition(state.CondReady)
	if ready.Reason != state.ReasonBlocked || !strings.Contains(ready.Message, "addon found as service Redis-2") {
		t.Fatalf("Ready = %+v", ready)
	}
	if !slices.ContainsFunc(st.Drift, func(d state.DriftItem) bool { return d.Actual == "Redis-2" }) {
		t.Fatalf("drift %+v lacks the name", st.Drift)
	}
	if got := e.backendVars()["REDIS_URL"]; got != "" {
		t.Fatalf("backend bound to an addon under another name: REDIS_URL = %q", got)
	}
	e.checkSafety()
}

// A creation Railway accepted, whose workflow it still reports Running
// past the grace period, is waited for, however long: a second creation
// would be a second Redis.
func TestRunningWorkflowIsNotCreatedAgain(t *testing.T) {
	e := newEnv(t, withSim(func(o *railwaytest.Options) { o.WorkflowDuration = 40 * time.Minute }))
	s := newRunSim(e, 3)
	s.run(20 * time.Minute)
	if w := strings.Join(s.last.Plan.Waiting, "\n"); !strings.Contains(w, "is Running, longer than the 15m grace period") {
		t.Fatalf("the last pass past the grace period waits for %q", w)
	}
	s.run(40 * time.Minute)
	if n := e.countOp(railway.OpDeployTemplate); n != 1 {
		t.Fatalf("%d template deployments, want 1", n)
	}
	st := e.rec.State()
	if n := e.listedRedis(); n != 1 || st.Phase != state.Healthy || hasEvent(st, state.EventAddonCreateRetry) {
		t.Fatalf("%d Redis, phase %s, events %v; want 1, Healthy, no retry", n, st.Phase, eventTypes(st))
	}
	e.checkSafety()
}

// A creation Cloudflare's edge blocked (HTTP 429 "error code: 1015") never
// reached Railway: a definite failure, tried again 10 minutes later, not
// an ambiguous one that would use up the one extra creation.
func TestEdgeBlockedCreationIsADefiniteFailure(t *testing.T) {
	e := newEnv(t, withSim(realWorkflow))
	e.sim.FailNextMutation("templateDeployV2", railwaytest.FaultEdge1015)
	s := newRunSim(e, 4)
	s.run(15 * time.Minute)
	st := e.rec.State()
	if n := e.countOp(railway.OpDeployTemplate); n != 2 || e.listedRedis() != 1 {
		t.Fatalf("%d template deployments, %d Redis; want 2 (the blocked one, then one) and 1", n, e.listedRedis())
	}
	if hasEvent(st, state.EventAddonCreateAmbiguous) || hasEvent(st, state.EventAddonCreateRetry) || !hasEvent(st, state.EventAddonCreateFailed) {
		t.Fatalf("events %v: want AddonCreateFailed, no ambiguity", eventTypes(st))
	}
	if st.Phase != state.Healthy {
		t.Fatalf("phase %s after 15 min, want Healthy", st.Phase)
	}
	e.checkSafety()
}
