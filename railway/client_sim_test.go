package railway_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

const (
	simToken        = "sim-admin-token"
	simRedisURLPass = "sim-pw-0123"
)

// simWorld is a simulator seeded with a project (production environment, a
// backend and a deployed Redis) and a client sharing its fake clock.
type simWorld struct {
	sim                 *railwaytest.Server
	clock               *fakeClock
	c                   *railway.Client
	projectID, envID    string
	backendID, redisID  string
	redisDeploymentID   string
	backendDeploymentID string
}

func newSimWorld(t testing.TB, opts railwaytest.Options, edit func(*railway.Options)) *simWorld {
	t.Helper()
	clock := newFakeClock()
	opts.Now = clock.Now
	sim := railwaytest.NewT(t, opts)
	w := &simWorld{sim: sim, clock: clock}
	w.projectID, w.envID = sim.CreateProject("smartlic")
	w.backendID = sim.AddService(w.projectID, "backend", "ghcr.io/smartlic/backend:latest")
	w.redisID = sim.AddService(w.projectID, "Redis", "ghcr.io/railwayapp-templates/redis:8")
	sim.SetVariables(w.envID, w.redisID, map[string]string{
		"REDIS_PASSWORD": simRedisURLPass, "REDISHOST": "${{RAILWAY_PRIVATE_DOMAIN}}", "REDISPORT": "6379", "REDISUSER": "default",
		"REDIS_URL": "redis://${{REDISUSER}}:${{REDIS_PASSWORD}}@${{REDISHOST}}:${{REDISPORT}}",
	})
	sim.SetVariables(w.envID, w.backendID, map[string]string{"REDIS_URL": "${{Redis.REDIS_URL}}", "PORT": "8080"})
	w.redisDeploymentID = sim.Deploy(w.envID, w.redisID)
	w.backendDeploymentID = sim.Deploy(w.envID, w.backendID)
	clock.Advance(time.Minute) // both deployments reach SUCCESS
	sim.AddToken(simToken, railwaytest.BearerToken, "", "")
	w.c = newTestClient(t, sim.URL(), clock, func(o *railway.Options) {
		o.Credentials = railway.NewCredentials(railway.BearerToken, "", simToken)
		if edit != nil {
			edit(o)
		}
	})
	sim.ResetLog()
	if tt, ok := t.(*testing.T); ok {
		tt.Cleanup(func() {
			if f := sim.Forbidden(); len(f) > 0 {
				tt.Errorf("forbidden operations sent: %v", f)
			}
		})
	}
	return w
}

func TestSimCheckAccess(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	otherProject, otherEnv := w.sim.CreateProject("other")
	w.sim.AddToken("scoped", railwaytest.BearerToken, otherProject, "")
	w.sim.AddToken("ptok", railwaytest.ProjectToken, w.projectID, w.envID)
	w.sim.AddToken("ptok-other", railwaytest.ProjectToken, otherProject, otherEnv)
	tests := []struct {
		name    string
		creds   railway.Credentials
		wantIs  error
		wantMsg string
	}{
		{name: "account token", creds: railway.NewCredentials(railway.BearerToken, "", simToken)},
		{name: "project token", creds: railway.NewCredentials(railway.ProjectToken, "", "ptok")},
		{
			name: "unknown bearer", creds: railway.NewCredentials(railway.BearerToken, "", "nope"),
			wantIs: railway.ErrUnauthorized, wantMsg: "RAILWAY_API_TOKEN was rejected by Railway: Not Authorized",
		},
		{
			name: "bearer for another project", creds: railway.NewCredentials(railway.BearerToken, "", "scoped"),
			wantIs: railway.ErrUnauthorized, wantMsg: "RAILWAY_API_TOKEN has no access to project " + w.projectID + ": Not Authorized",
		},
		{
			name: "unknown project token", creds: railway.NewCredentials(railway.ProjectToken, "", "nope"),
			wantIs: railway.ErrUnauthorized, wantMsg: "RAILWAY_TOKEN was rejected by Railway: Project Token not found",
		},
		{
			name: "project token for another project", creds: railway.NewCredentials(railway.ProjectToken, "", "ptok-other"),
			wantIs: railway.ErrUnauthorized, wantMsg: "RAILWAY_TOKEN is a token for project " + otherProject + ", not project " + w.projectID,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, w.sim.URL(), w.clock, func(o *railway.Options) { o.Credentials = tt.creds })
			err := c.CheckAccess(t.Context(), w.projectID)
			if tt.wantIs == nil && err != nil || tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("message = %q\nwant      %q", err, tt.wantMsg)
			}
		})
	}
}

func TestSimProjectPages(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{MaxPageSize: 2}, nil)
	for _, name := range []string{"worker", "cron", "web"} {
		w.sim.AddService(w.projectID, name, "img")
	}
	w.sim.AddEnvironment(w.projectID, "staging")
	p, err := w.c.Project(t.Context(), w.projectID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range p.Services {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "backend,Redis,worker,cron,web" {
		t.Errorf("services = %s", got)
	}
	if len(p.Environments) != 2 || p.Environments[0].ID != w.envID || p.Environments[0].Name != "production" || p.Name != "smartlic" {
		t.Errorf("project = %+v", p)
	}
}

func TestSimObserveIsOneRequest(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	obs, err := w.c.Observe(t.Context(), w.projectID, w.envID, []string{w.backendID})
	if err != nil {
		t.Fatal(err)
	}
	reqs := w.sim.Requests()
	if len(reqs) != 1 || strings.Join(reqs[0].Fields, ",") != "environment,variables" {
		t.Fatalf("requests = %+v", reqs)
	}
	redis, ok := obs.InstanceByID(w.redisID)
	if !ok || redis.ServiceName != "Redis" || !strings.Contains(redis.Image, "redis") || redis.LatestDeployment == nil ||
		redis.LatestDeployment.ID != w.redisDeploymentID || redis.LatestDeployment.Status != railway.StatusSuccess {
		t.Errorf("redis = %+v", redis)
	}
	if got := obs.Variables[w.backendID]["REDIS_URL"]; got != "${{Redis.REDIS_URL}}" {
		t.Errorf("backend REDIS_URL = %q, want the raw reference", got)
	}
	if obs.EnvironmentID != w.envID || len(obs.Instances) != 2 {
		t.Errorf("observation = %+v", obs)
	}
}

func TestSimObserveUnknownEnvironment(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	if _, err := w.c.Observe(t.Context(), w.projectID, "no-such-env", nil); !errors.Is(err, railway.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	if _, err := w.c.Deployment(t.Context(), "no-such-deployment"); !errors.Is(err, railway.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestSimRenderedVariables(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	vars, err := w.c.RenderedVariables(t.Context(), w.projectID, w.envID, w.backendID)
	if err != nil {
		t.Fatal(err)
	}
	url := vars["REDIS_URL"].Value()
	if !strings.HasPrefix(url, "redis://default:"+simRedisURLPass+"@") || !strings.HasSuffix(url, ":6379") {
		t.Errorf("rendered REDIS_URL does not carry the password and port")
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSimUpsertThenDeploy(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{DeployDuration: 10 * time.Second}, nil)
	ctx := t.Context()
	before := len(w.sim.Deployments(w.envID, w.backendID))
	if err := w.c.UpsertVariables(ctx, w.projectID, w.envID, w.backendID, map[string]string{"REDIS_URL": ""}); err != nil {
		t.Fatal(err)
	}
	if got := len(w.sim.Deployments(w.envID, w.backendID)); got != before {
		t.Errorf("upsert deployed: %d deployments, had %d", got, before)
	}
	if vars := w.sim.Variables(w.envID, w.backendID); vars["REDIS_URL"] != "" || vars["PORT"] != "8080" {
		t.Errorf("variables after upsert = %v", vars)
	}
	id, err := w.c.DeployService(ctx, w.envID, w.backendID)
	if err != nil || id == "" {
		t.Fatalf("deploy %q, %v", id, err)
	}
	d, err := w.c.Deployment(ctx, id)
	if err != nil || !d.Status.InProgress() || d.ServiceID != w.backendID {
		t.Fatalf("deployment = %+v, %v", d, err)
	}
	w.clock.Advance(time.Minute)
	if d, err = w.c.Deployment(ctx, id); err != nil || d.Status != railway.StatusSuccess {
		t.Fatalf("deployment = %+v, %v, want SUCCESS", d, err)
	}
	if old, err := w.c.Deployment(ctx, w.backendDeploymentID); err != nil || old.Status != railway.StatusRemoved {
		t.Errorf("previous deployment = %+v, %v, want REMOVED", old, err)
	}
	if n := w.sim.MutationCount(); n != 2 {
		t.Errorf("mutations = %d, want 2", n)
	}
}

func TestSimDeploymentLogs(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{LogLimitQuirk: true}, nil)
	for _, m := range []string{"booting", "listening", "Redis pool connected", "ready", "tick"} {
		w.sim.AppendLog(w.backendDeploymentID, m)
		w.clock.Advance(time.Millisecond)
	}
	logs, err := w.c.DeploymentLogs(t.Context(), w.backendDeploymentID, 3, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 3 || logs[0].Message != "Redis pool connected" || logs[2].Message != "tick" || logs[0].Timestamp.IsZero() {
		t.Errorf("logs = %+v", logs)
	}
}

func TestSimFaults(t *testing.T) {
	t.Parallel()
	t.Run("429 then success waits Retry-After", func(t *testing.T) {
		w := newSimWorld(t, railwaytest.Options{}, nil)
		w.sim.SetFaults(railwaytest.Faults{RetryAfter: 2 * time.Second})
		w.sim.FailNextRequests(railwaytest.Fault429, 1)
		if _, err := w.c.Observe(t.Context(), w.projectID, w.envID, nil); err != nil {
			t.Fatal(err)
		}
		if s := w.clock.Sleeps(); len(s) != 1 || s[0] < 2*time.Second {
			t.Errorf("sleeps = %v, want one of at least 2s", s)
		}
	})
	t.Run("html 403 and 500 are retried for reads", func(t *testing.T) {
		w := newSimWorld(t, railwaytest.Options{}, nil)
		w.sim.FailNextRequests(railwaytest.FaultHTML403, 1)
		w.sim.FailNextRequests(railwaytest.Fault500, 1)
		if _, err := w.c.Observe(t.Context(), w.projectID, w.envID, nil); err != nil {
			t.Fatal(err)
		}
		if n := w.sim.RequestCount(); n != 3 {
			t.Errorf("requests = %d, want 3", n)
		}
	})
	t.Run("deploy answered 500 after executing is not retried", func(t *testing.T) {
		w := newSimWorld(t, railwaytest.Options{}, nil)
		before := len(w.sim.Deployments(w.envID, w.backendID))
		w.sim.FailNextRequests(railwaytest.FaultAfterExecute500, 1)
		if _, err := w.c.DeployService(t.Context(), w.envID, w.backendID); !railway.IsTransient(err) {
			t.Fatalf("err = %v, want transient", err)
		}
		if got := len(w.sim.Deployments(w.envID, w.backendID)); got != before+1 {
			t.Errorf("deployments = %d, want exactly one new (no retry)", got-before)
		}
	})
	t.Run("upsert answered 500 after executing is retried", func(t *testing.T) {
		w := newSimWorld(t, railwaytest.Options{}, nil)
		w.sim.FailNextRequests(railwaytest.FaultAfterExecute500, 1)
		if err := w.c.UpsertVariables(t.Context(), w.projectID, w.envID, w.backendID, map[string]string{"X": "1"}); err != nil {
			t.Fatal(err)
		}
		if n := w.sim.RequestCount(); n != 2 {
			t.Errorf("requests = %d, want 2", n)
		}
	})
	t.Run("rate limit headers are recorded", func(t *testing.T) {
		w := newSimWorld(t, railwaytest.Options{RateLimit: 100}, nil)
		if _, err := w.c.Deployment(t.Context(), w.backendDeploymentID); err != nil {
			t.Fatal(err)
		}
		if s := w.c.Stats(); !s.RateLimitKnown || s.RateLimitRemaining >= 100 || s.RateLimitReset.IsZero() || s.Requests != 1 {
			t.Errorf("stats = %+v", s)
		}
	})
}

// BenchmarkObserve measures one steady-state observation against the
// simulator (ids known, two consumers' variables) and reports Railway
// requests per observation, which must be 1.
func BenchmarkObserve(b *testing.B) {
	w := newSimWorld(b, railwaytest.Options{RateLimit: 1 << 30}, func(o *railway.Options) { o.Logger = zap.NewNop() })
	ids := []string{w.backendID, w.redisID}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.c.Observe(ctx, w.projectID, w.envID, ids); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.sim.RequestCount())/float64(b.N), "req/op")
}

// BenchmarkBatchedObserve measures ten units of one environment observing
// at the same instant through a Batcher with the default (real) window, and
// reports Railway requests per observation: 0.1 when every firing is merged.
func BenchmarkBatchedObserve(b *testing.B) {
	w := newSimWorld(b, railwaytest.Options{RateLimit: 1 << 30}, func(o *railway.Options) { o.Logger = zap.NewNop() })
	bt := railway.NewBatcher(w.c, railway.BatchOptions{})
	ctx := b.Context()
	const units = 10
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range units {
			ids := []string{w.backendID}
			if i%2 == 0 {
				ids = append(ids, w.redisID)
			}
			wg.Go(func() {
				if _, err := bt.Observe(ctx, w.projectID, w.envID, ids); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(w.sim.RequestCount())/float64(b.N*units), "req/observation")
}
