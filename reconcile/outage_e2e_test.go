package reconcile_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/state"
)

// twoConsumers is a spec with two consumers of the addon and the default
// request budget (500 an hour).
func twoConsumers(e *env) string {
	return fmt.Sprintf(`version: 1
name: smartlic-production
railway:
  endpoint: %s
  projectId: ${TEST_PROJECT_ID}
  environment: production
state:
  path: %s
addon:
  service: Redis
consumers:
  - service: backend
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
  - service: worker
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
health:
  probeTimeout: 500ms
`, e.sim.URL(), e.statePath)
}

func seedWorker(e *env) {
	id := e.sim.AddService(e.projectID, "worker", "")
	e.sim.Deploy(e.envID, id)
}

// Issue 11, item 7: Redis fails while Railway answers 503 to everything.
// The rollback decision stands; its write is retried, one attempt a round
// once Railway has failed (the client's retries would multiply the
// requests, and drain the request budget the recovery needs); it is
// written exactly once, with one deploy per consumer. It lands within one
// probe interval of Railway answering again while the request budget
// lasts: rounds retry 12 times a minute, the default budget (500 an hour:
// a burst of 20, then one request every 7.5 s) sustains that for about 3
// minutes. A longer outage is retried at the budget's pace: the four
// requests of the rollback (a write and a deploy per consumer) go out one
// request interval (7.5 s) apart, after a probe interval; where the first
// falls in the budget's period depends on the client's jittered retry
// waits during the outage, so the bound allows one interval more.
func TestRollbackDuringRailwayOutageLandsOnceAfter(t *testing.T) {
	cases := []struct {
		name   string
		outage time.Duration
		within time.Duration // every rollback write lands within this of the outage's end
	}{
		{"90 s outage", 90 * time.Second, 5 * time.Second},
		{"10 min outage", 10 * time.Minute, 5*time.Second + 4*7500*time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { outageRun(t, tc.outage, tc.within) })
	}
}

func outageRun(t *testing.T, outage, within time.Duration) {
	e := newEnv(t, withSeed(seedWorker), withDoc(twoConsumers))
	e.converge()
	workerID, _ := e.sim.ServiceByName(e.projectID, "worker")
	consumers := map[string]string{"backend": e.backendID, "worker": workerID}
	deploys := map[string]int{}
	for name, id := range consumers {
		deploys[name] = len(e.sim.Deployments(e.envID, id))
	}
	s := newRunSim(e, 9)
	s.run(5 * time.Minute) // steady: the request budget refills after the convergence

	t0, rounds, passes := e.clock.Now(), s.rounds, s.passes
	before := e.countOp(railway.OpUpsertVariables)
	e.sim.StartOutage(0)
	e.redis.Kill()
	s.run(outage)
	st := e.rec.State()
	if st.Health.Mode != state.ModeRolledBack || len(st.Owed) != 2 {
		t.Fatalf("during the outage: mode %s, owed %v; want the rollback decided and owed to both consumers", st.Health.Mode, st.Owed)
	}
	for name, id := range consumers {
		if got := e.sim.Variables(e.envID, id)["REDIS_URL"]; got != bound {
			t.Fatalf("%s REDIS_URL = %q during the outage: nothing can be written", name, got)
		}
	}
	attempts := e.countOp(railway.OpUpsertVariables) - before
	// The first write of the decision may retry 5 times; then one attempt
	// a round (and a pass's), never more than the rounds and passes made.
	if n, m := s.rounds-rounds, s.passes-passes; attempts < 2 || attempts > 5+n+m {
		t.Fatalf("%d write attempts during the outage (%d rounds, %d passes)", attempts, n, m)
	}

	t1 := e.clock.Now()
	e.sim.EndOutage()
	s.run(time.Minute)
	var landed []railwaytest.Request
	for _, r := range e.sim.Requests() {
		if r.At.After(t0) && r.OperationName == railway.OpUpsertVariables && r.Status == 200 {
			landed = append(landed, r)
		}
	}
	if len(landed) != 2 {
		t.Fatalf("%d rollback writes landed, want exactly 1 per consumer (2)", len(landed))
	}
	for _, r := range landed {
		if late := r.At.Sub(t1); late > within {
			t.Fatalf("a rollback write landed %s after Railway answered again, want within %s", late, within)
		}
	}
	for name, id := range consumers {
		if got, ok := e.sim.Variables(e.envID, id)["REDIS_URL"]; !ok || got != "" {
			t.Fatalf("%s REDIS_URL = %q after the outage, want the rollback's \"\"", name, got)
		}
		if n := len(e.sim.Deployments(e.envID, id)) - deploys[name]; n != 1 {
			t.Fatalf("%s: %d deploys for the rollback, want 1", name, n)
		}
	}
	if st := e.rec.State(); len(st.Owed) != 0 || st.Health.Mode != state.ModeRolledBack {
		t.Fatalf("after the outage: mode %s, owed %v", st.Health.Mode, st.Owed)
	}
	t.Logf("%d write attempts in %s of outage; the writes landed %s and %s after it", attempts, outage, landed[0].At.Sub(t1), landed[1].At.Sub(t1))
	e.checkSafety()
}
