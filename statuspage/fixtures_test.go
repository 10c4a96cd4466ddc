package statuspage

import (
	"fmt"
	"sync"
	"time"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// t0 is the fixtures' "now".
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const (
	deployID = "de000000-0000-4000-8000-000000000042"
	// leaked is a password that upstream code "forgot" to mask.
	leaked = "hunter2-s3cr3t-pw"
)

// fakeSource is a Source over a fixed set of views.
type fakeSource struct {
	mu    sync.Mutex
	names []string
	views map[string]View
}

func (f *fakeSource) Units() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.names...)
}

func (f *fakeSource) Unit(name string) (View, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.views[name]
	return v, ok
}

func oneUnit(v View) *fakeSource {
	return &fakeSource{names: []string{v.Status.Name}, views: map[string]View{v.Status.Name: v}}
}

// rolledBackView is a unit rolled back 2 minutes ago, with a full history.
func rolledBackView() View {
	st := reconcile.Status{
		Name: "smartlic-production", Phase: state.RolledBack, Since: t0.Add(-2 * time.Minute), SpecValid: true,
		Conditions: []state.Condition{
			{Type: state.CondReady, Status: state.False, Reason: "RolledBack", Message: "phase RolledBack", LastTransitionTime: t0.Add(-2 * time.Minute)},
			{Type: state.CondAddonReady, Status: state.True, Reason: "Found", Message: "Redis (svc_123) SUCCESS", LastTransitionTime: t0.Add(-time.Hour)},
			{Type: state.CondVariablesInSync, Status: state.True, Reason: "InSync", Message: "rollback variables applied", LastTransitionTime: t0.Add(-time.Hour)},
			{Type: state.CondRedisHealthy, Status: state.False, Reason: "Unhealthy", Message: "redis: dial redis://default:" + leaked + "@redis.railway.internal:6379: connection refused", LastTransitionTime: t0.Add(-3 * time.Minute)},
			{Type: state.CondConsumersHealthy, Status: state.True, Reason: "Healthy", LastTransitionTime: t0.Add(-time.Hour)},
			{Type: state.CondRolledBack, Status: state.True, Reason: "RolledBack", Message: "3 unhealthy rounds", LastTransitionTime: t0.Add(-2 * time.Minute)},
		},
		Drift: []state.DriftItem{{Kind: "variable", Service: "backend", Name: "REDIS_URL", Desired: "${{Redis.REDIS_URL}}", Actual: "",
			Message: "was redis://default:" + leaked + "@10.0.0.1:6379"}},
		LastProbe: &state.Probe{At: t0.Add(-time.Second), Verdict: "unhealthy", Reason: "redis: connection refused",
			Checks: []state.ProbeCheck{{Name: "redis", Message: "connection refused"}}},
		Events: []state.Event{
			{At: t0.Add(-3 * time.Minute), Type: state.EventDegraded, Message: "redis unhealthy: redis://default:" + leaked + "@host:6379 refused"},
			{At: t0.Add(-2 * time.Minute), Type: state.EventRolledBack, Message: "roll back: 3 unhealthy rounds (redis: connection refused)"},
			{At: t0.Add(-2 * time.Minute), Type: state.EventDeploying, Message: "deploying backend (" + deployID + "): rollback"},
		},
		Mode: state.ModeRolledBack,
		Railway: reconcile.RailwayStatus{LastObservation: t0.Add(-10 * time.Second), ObservationOK: true, Requests: 42,
			RateLimitRemaining: 958},
		Deploys: []reconcile.DeployStatus{{Service: "backend", DeploymentID: deployID, Status: "BUILDING", Reason: "rollback"}},
	}
	h := &History{}
	fillHistory(h, t0)
	return View{
		Status: st,
		Health: state.Health{Mode: state.ModeRolledBack, RolledBackAt: t0.Add(-2 * time.Minute), Healthy: 4,
			Rollbacks: []time.Time{t0.Add(-30 * time.Minute), t0.Add(-2 * time.Minute)}, MinRolledBack: 5 * time.Minute,
			Decision: "roll back: 3 unhealthy rounds"},
		Rollback:   spec.Rollback{Enabled: true, FailureThreshold: 3, RecoveryThreshold: 12, MinRolledBack: 5 * time.Minute, MaxRollbacks: 3, RollbackWindow: time.Hour},
		ProbeEvery: 5 * time.Second, History: h, LastReportAt: t0.Add(-time.Hour),
	}
}

// fillHistory records an hour of rounds every second before now and a
// day of phase changes every 10 minutes: a full History.
func fillHistory(h *History, now time.Time) {
	phases := []state.Phase{state.Healthy, state.Degraded, state.RolledBack, state.Recovering}
	for i := 24 * 6; i > 0; i-- {
		h.ObservePhase(now.Add(-time.Duration(i)*10*time.Minute), phases[i%len(phases)], fmt.Sprintf("reason %d", i))
	}
	for i := MaxRounds; i > 0; i-- {
		at := now.Add(-time.Duration(i) * time.Second)
		verdict, lat := "healthy", time.Duration(300+i%700)*time.Microsecond
		if i%97 == 0 {
			verdict, lat = "unhealthy", 0
		}
		h.ObserveRound(at, verdict, lat, int64(2<<20+i*1024))
	}
	h.ObserveReport(now.Add(-time.Hour), "DRIFT", "1 drift item, phase RolledBack since 09:58 UTC")
}
