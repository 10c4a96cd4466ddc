package reconcile_test

import (
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/state"
)

const projectToken = "ptok-e2e-0b1c2d3e4f5a6b7c8d9e"

// Issue 11, item 6: a project token is bound to one environment and, as far
// as anyone knows, cannot deploy templates. Passes every 5 s for 2 h (no
// controller backoff: the worst case) never send more than 2 template
// deployments in any hour, and the addon's creation is Blocked with a
// message saying which token it needs.
func TestProjectTokenNeverHammersTemplateDeploys(t *testing.T) {
	e := newEnv(t, withMemoryStore())
	e.sim.AddToken(projectToken, railwaytest.ProjectToken, e.projectID, e.envID)
	c, err := railway.New(railway.Options{Endpoint: e.spec.Railway.Endpoint,
		Credentials: railway.NewCredentials(railway.ProjectToken, railway.EnvProjectToken, projectToken),
		Now:         e.clock.Now, Sleep: e.clock.sleep, MaxRequestsPerHour: e.spec.Railway.MaxRequestsPerHour})
	if err != nil {
		t.Fatal(err)
	}
	e.client = c
	e.open(nil)

	start := e.clock.Now()
	for e.clock.Now().Before(start.Add(2 * time.Hour)) {
		e.pass()
	}
	var sent []time.Time
	for _, r := range e.sim.Requests() {
		if r.OperationName == railway.OpDeployTemplate {
			sent = append(sent, r.At)
		}
	}
	if len(sent) == 0 {
		t.Fatal("no creation attempted")
	}
	for i := range sent {
		n := 0
		for _, at := range sent[i:] {
			if at.Sub(sent[i]) < time.Hour {
				n++
			}
		}
		if n > 2 {
			t.Fatalf("%d template deployments within an hour of %s (all: %v), want at most 2", n, sent[i], sent)
		}
	}
	st := e.rec.State()
	ready, _ := st.Condition(state.CondReady)
	if ready.Reason != state.ReasonBlocked || !strings.Contains(ready.Message, "creating the addon needs a workspace or account token in RAILWAY_API_TOKEN") {
		t.Fatalf("Ready = %+v, want Blocked saying which token is needed", ready)
	}
	if strings.Contains(ready.Message, projectToken) || e.redisCount() != 0 {
		t.Fatalf("the token leaked, or a Redis was created: %+v", ready)
	}
	e.checkSafety()
}
