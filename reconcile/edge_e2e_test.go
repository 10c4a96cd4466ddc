package reconcile_test

import (
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/state"
)

// Issue 11, item 3: Cloudflare's edge block (HTTP 429 "error code: 1015",
// no Retry-After) is prolonged by hammering. During a 60 s block a running
// reconciler (passes and rounds going on, and a rollback falling due) sends
// at most 4 requests; the rollback is retried when the interval ends, lands
// within one probe interval of it, once; and Ready says EdgeBlocked.
func TestEdgeBlockSendsAtMostFourRequestsAndRollbackLandsAfter(t *testing.T) {
	e := newEnv(t)
	e.converge()
	s := newRunSim(e, 5)
	s.reconcile = 20 * time.Second // passes during the block too
	s.run(30 * time.Second)
	deploys := e.backendDeploys()

	t0 := e.clock.Now()
	e.sim.BlockAtEdge(time.Minute)
	s.run(20 * time.Second)
	// Three unhealthy rounds: a rollback falls due in the middle of the
	// block, while the client is already backing off.
	e.redis.Kill()
	var readyWhileBlocked []string
	s.beforeRound = func(now time.Time) {
		if until := e.client.Stats().BlockedUntil; now.Before(until) {
			c, _ := e.rec.State().Condition(state.CondReady)
			readyWhileBlocked = append(readyWhileBlocked, c.Reason)
		}
	}
	s.run(3 * time.Minute)

	var inBlock, blocked []railwaytest.Request
	for _, r := range e.sim.Requests() {
		if r.At.Before(t0) {
			continue
		}
		if r.At.Before(t0.Add(time.Minute)) {
			inBlock = append(inBlock, r)
		}
		if r.Status == 429 {
			blocked = append(blocked, r)
		}
	}
	if len(inBlock) > 4 || len(blocked) == 0 {
		t.Fatalf("%d requests during the 60 s block (%d blocked), want 1 to 4: %v", len(inBlock), len(blocked), opNames(inBlock))
	}
	// The client's interval: 60 s from the first 1015 answer.
	end := blocked[0].At.Add(railway.EdgeMinBackoff)
	var writes []railwaytest.Request
	for _, r := range e.sim.Requests() {
		if r.At.After(blocked[0].At) && r.At.Before(end) {
			t.Fatalf("%s sent at %s, within the edge backoff (until %s)", r.OperationName, r.At, end)
		}
		if r.OperationName == railway.OpUpsertVariables && r.Status == 200 && r.At.After(t0) {
			writes = append(writes, r)
		}
	}
	// The interval's one attempt is the rollback's write (or, when a pass
	// happened to come first, that pass's read, which lifts the block).
	var after []string
	for _, r := range e.sim.Requests() {
		if !r.At.Before(end) {
			after = append(after, r.OperationName)
		}
	}
	if len(after) == 0 || after[0] != railway.OpUpsertVariables && (len(after) < 2 || after[1] != railway.OpUpsertVariables) {
		t.Fatalf("requests after the interval %v: the rollback's write is not its attempt", after)
	}
	if len(writes) != 1 {
		t.Fatalf("%d rollback writes, want exactly 1", len(writes))
	}
	if late := writes[0].At.Sub(end); late < 0 || late > 5*time.Second {
		t.Fatalf("the rollback landed %s after the interval ended, want within one probe interval (5s)", late)
	}
	if got := e.backendVars()["REDIS_URL"]; got != "" {
		t.Fatalf("REDIS_URL = %q after the block, want the rollback's \"\"", got)
	}
	if n := e.backendDeploys() - deploys; n != 1 {
		t.Fatalf("%d deploys for the rollback, want 1", n)
	}
	if len(readyWhileBlocked) == 0 {
		t.Fatal("no round ran while the client was blocked")
	}
	for _, r := range readyWhileBlocked {
		if r != state.ReasonEdgeBlocked {
			t.Fatalf("Ready reasons while blocked %v, want EdgeBlocked throughout", readyWhileBlocked)
		}
	}
	e.checkSafety()
}
