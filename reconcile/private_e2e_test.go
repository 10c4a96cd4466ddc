package reconcile_test

import (
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/state"
)

// Issue 11, item 2: databases are private by default. Without a TCP proxy
// Railway renders the addon's REDIS_PUBLIC_URL as redis://default:PW@:
// (empty host and port; go-redis would read it as localhost:6379) and its
// REDIS_URL on *.railway.internal (unreachable from outside the project).
// A reconciler outside Railway without health.redis.url must then never
// roll back: its rounds are inconclusive and say what to set.
func TestPrivateAddonNeverRollsBack(t *testing.T) {
	e := newEnv(t, withPrivateAddon(), withSim(realWorkflow))
	// The consumer already uses the addon: it is bound as soon as the
	// addon is found, so a failing round would count towards a rollback.
	e.sim.SetVariables(e.envID, e.backendID, map[string]string{"REDIS_URL": bound})
	s := newRunSim(e, 11)
	s.run(time.Minute) // the addon is created and found
	st := e.rec.State()
	if st.Addon.ServiceID == "" || st.Health.Mode != state.Bound {
		t.Fatalf("addon %+v, mode %s: want the addon found and the consumer bound", st.Addon, st.Health.Mode)
	}
	rendered := e.sim.RenderedVariables(e.envID, st.Addon.ServiceID)
	if pub := rendered["REDIS_PUBLIC_URL"]; !strings.HasSuffix(pub, "@:") || !strings.Contains(rendered["REDIS_URL"], ".railway.internal") {
		t.Fatalf("the simulator's addon is not private by default") // values not quoted: they hold the password
	}

	writes, rounds := e.countOp(railway.OpUpsertVariables), s.rounds
	s.run(60 * time.Second) // 12 rounds at 5 s
	if n := s.rounds - rounds; n < 12 {
		t.Fatalf("%d rounds in 60 s, want 12", n)
	}
	if n := e.countOp(railway.OpUpsertVariables) - writes; n != 0 {
		t.Fatalf("%d variable writes in 60 s of inconclusive rounds, want 0", n)
	}
	st = e.rec.State()
	if hasEvent(st, state.EventRolledBack) || st.Health.Mode != state.Bound || e.backendVars()["REDIS_URL"] != bound {
		t.Fatalf("mode %s, events %v: rolled back on a URL it cannot probe", st.Health.Mode, eventTypes(st))
	}
	c, _ := st.Condition(state.CondRedisHealthy)
	if c.Status != state.UnknownStatus || c.Reason != state.ReasonInconclusive {
		t.Fatalf("RedisHealthy = %+v, want Unknown/Inconclusive", c)
	}
	for _, want := range []string{"private network", "no host or port", "TCP proxy", "set health.redis.url"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("RedisHealthy message %q does not say %q", c.Message, want)
		}
	}
	e.checkSafety()
}
