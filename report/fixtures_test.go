package report

import (
	"context"
	"sync"
	"time"

	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Secrets in play in the fixtures; no output may contain any of them.
const (
	redisPassword = "Zq7pR2vXk9LmN4tBw8"
	railwayToken  = "5f0c3a2e-9b1d-4c7e-8a6f-2d4b6e8f0a1c"
	webhookPath   = "/services/T0SECRET42/B0SECRET42/hookSecretXyz123"
	redisHost     = "redis.proxy.rlwy.net:6379"
)

var (
	// lastReport is the previous report; reportTime this one.
	lastReport = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	reportTime = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
)

func at(hh, mm, ss int) time.Time { return time.Date(2026, 11, 25, hh, mm, ss, 0, time.UTC) }

func rawRedisURL() string { return "redis://default:" + redisPassword + "@" + redisHost }

// fixtureSpec is a spec with a stdout sink and a webhook to webhookURL.
func fixtureSpec(webhookURL string) *spec.Spec {
	return &spec.Spec{
		Version: 1, Name: "smartlic-production",
		Railway: spec.Railway{MaxRequestsPerHour: 500},
		Health:  spec.Health{Redis: spec.RedisHealth{URL: spec.NewSecret(rawRedisURL())}},
		Report: spec.Report{Format: "markdown", Sinks: []spec.Sink{
			{Kind: spec.SinkStdout}, {Kind: spec.SinkWebhook, URL: spec.NewSecret(webhookURL)},
		}},
	}
}

// driftState is a day with a full rollback cycle (Degraded, RolledBack,
// Recovering, RolledForward), a crashed deploy of the roll forward and a
// variable someone pasted a raw Redis URL into.
func driftState() *state.State {
	st := state.New("smartlic-production", lastReport.Add(-72*time.Hour))
	st.Report = state.ReportBook{LastAt: lastReport, RequestsAtLast: 1200}
	st.Summary = state.HealthSummary{Since: lastReport}
	for i := range 1000 {
		verdict := "healthy"
		switch {
		case i%100 == 7:
			verdict = "unhealthy"
		case i == 500:
			verdict = "inconclusive"
		}
		latency := time.Duration(200*(1+i%10)) * time.Microsecond
		if i == 999 {
			latency = 12300 * time.Microsecond
		}
		st.Summary.Observe(verdict, latency, int64(1<<20+i*512))
	}
	st.Phase, st.Since = state.Healthy, at(3, 17, 10)
	addEvents(st, []state.Event{
		{At: lastReport.Add(-time.Hour), Type: state.EventDeployed, Message: "backend deployment dep-1 is SUCCESS (variables changed)"},
		{At: at(3, 10, 0), Type: state.EventDegraded, Message: "redis unhealthy: ping: dial tcp 10.0.0.5:6379: connect: connection refused"},
		{At: at(3, 10, 10), Type: state.EventRolledBack, Message: "roll back: 3 unhealthy rounds (ping: dial tcp 10.0.0.5:6379: connect: connection refused)"},
		{At: at(3, 10, 10), Type: state.EventVariablesSet, Message: `set backend REDIS_URL="" (rolled back)`},
		{At: at(3, 10, 11), Type: state.EventDeploying, Message: "deploying backend (svc-backend): rolled back"},
		{At: at(3, 11, 40), Type: state.EventDeployed, Message: "backend deployment dep-2 is SUCCESS (rolled back)"},
		{At: at(3, 12, 0), Type: state.EventRecovering, Message: "redis healthy again; rolling forward after 12 healthy rounds and 5m0s rolled back"},
		{At: at(3, 17, 10), Type: state.EventRolledForward, Message: "roll forward: 62 healthy rounds over 5m10s"},
		{At: at(3, 17, 10), Type: state.EventVariablesSet, Message: `set backend REDIS_URL="${{Redis.REDIS_URL}}" (rolled forward)`},
		{At: at(3, 17, 11), Type: state.EventDeploying, Message: "deploying backend (svc-backend): rolled forward"},
		{At: at(3, 19, 2), Type: state.EventDeployFailed, Message: "backend deployment dep-3 is CRASHED (rolled forward)"},
	})
	st.Drift = []state.DriftItem{
		{Kind: reconcile.DriftVariable, Service: "worker", Name: "REDIS_URL",
			Desired: "${{Redis.REDIS_URL}}", Actual: spec.MaskValue(rawRedisURL())},
		{Kind: reconcile.DriftDeploy, Service: "backend", Desired: "SUCCESS", Actual: "CRASHED",
			Message: "backend deployment dep-3 is CRASHED"},
	}
	st.Conds = []state.Condition{
		{Type: state.CondReady, Status: state.False, Reason: "Healthy", Message: "phase Healthy", LastTransitionTime: at(3, 10, 0)},
		{Type: state.CondAddonReady, Status: state.True, Reason: "Found", Message: "Redis (svc-redis) SUCCESS", LastTransitionTime: lastReport.Add(-48 * time.Hour)},
		{Type: state.CondVariablesInSync, Status: state.False, Reason: "Drift", Message: "differs: worker REDIS_URL", LastTransitionTime: at(8, 30, 0)},
		{Type: state.CondRedisHealthy, Status: state.True, Reason: "ProbesPassing", Message: "PING 0.4ms", LastTransitionTime: at(3, 12, 0)},
		{Type: state.CondConsumersHealthy, Status: state.False, Reason: "DeployFailed", Message: "backend deployment dep-3 is CRASHED", LastTransitionTime: at(3, 19, 2)},
		{Type: state.CondRolledBack, Status: state.False, Reason: "NotRolledBack", Message: "declared variables in effect", LastTransitionTime: at(3, 17, 10)},
	}
	st.Observed = state.ObservationBookmark{At: reportTime.Add(-20 * time.Second), OK: true, Requests: 2640, RateLimitRemaining: 955}
	return st
}

// cleanState is a quiet day: in sync, healthy, nothing happened.
func cleanState() *state.State {
	st := state.New("smartlic-production", lastReport.Add(-72*time.Hour))
	st.Report = state.ReportBook{LastAt: lastReport, RequestsAtLast: 1200}
	st.Summary = state.HealthSummary{Since: lastReport}
	for range 288 {
		st.Summary.Observe("healthy", 350*time.Microsecond, 2<<20)
	}
	st.Phase, st.Since = state.Healthy, lastReport.Add(-48*time.Hour)
	st.Conds = []state.Condition{
		{Type: state.CondReady, Status: state.True, Reason: "Reconciled", Message: "in sync and healthy", LastTransitionTime: lastReport.Add(-48 * time.Hour)},
	}
	st.Observed = state.ObservationBookmark{At: reportTime.Add(-20 * time.Second), OK: true, Requests: 2640, RateLimitRemaining: -1}
	return st
}

func addEvents(st *state.State, evs []state.Event) {
	for _, e := range evs {
		st.AddEvent(e)
	}
}

// gate is a Sleep for the Notifier's Degraded grace that returns only when
// the test opens it once (release) or the context ends.
type gate struct{ ch chan struct{} }

func newGate() *gate { return &gate{ch: make(chan struct{})} }

func (g *gate) sleep(ctx context.Context, _ time.Duration) error {
	select {
	case <-g.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release lets one waiting grace timer fire.
func (g *gate) release(ctx context.Context) bool {
	select {
	case g.ch <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// sleeps records the waits of webhook retries and returns at once.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waits)
}
