package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/smartlic/reconciler/internal/pgserver"
	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// benchToken is the throwaway token registered in the simulator.
const benchToken = "tok-bench-3f9a1c7e5b2d4f6a8c0e"

// benchName is the spec's name, and so the unit's.
const benchName = "bench"

// declaredURL is the consumer's declared REDIS_URL.
const declaredURL = "${{Redis.REDIS_URL}}"

// env is a simulator holding a project with a deployed `backend`, a real
// redis-server the addon will be bound to, a real PostgreSQL when the state
// is kept there, and a spec file for them.
type env struct {
	sim       *railwaytest.Server
	redis     *redisserver.Server
	pg        *pgserver.Server // nil with the file backend
	lease     leaseTimings     // the postgres lease timings; zero: the defaults
	projectID string
	envID     string
	backendID string
	dir       string
	specPath  string
	statePath string
	vars      map[string]string
}

// leaseTimings are state.postgres.leaseDuration, renewDeadline and
// retryPeriod.
type leaseTimings struct{ duration, renew, retry time.Duration }

func (l leaseTimings) String() string {
	return fmt.Sprintf("lease %s / renew deadline %s / retry %s", l.duration, l.renew, l.retry)
}

// newEnv sets up the simulator and Redis and, when pg is not nil, a
// PostgreSQL server started with pg for the state (DATABASE_URL).
func newEnv(ctx context.Context, pg *pgserver.Options) (*env, error) {
	dir, err := os.MkdirTemp("", "reconciler-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, specPath: filepath.Join(dir, "desired.yaml"), statePath: filepath.Join(dir, "state.json")}
	e.sim, err = railwaytest.New(railwaytest.Options{DeployDuration: 500 * time.Millisecond,
		WorkflowDuration: 500 * time.Millisecond, RateLimit: 1 << 30})
	if err != nil {
		e.close()
		return nil, err
	}
	sb := e.sim.SeedSandbox(benchToken, "backend")
	e.projectID, e.envID, e.backendID = sb.ProjectID, sb.EnvironmentID, sb.ConsumerID
	e.redis, err = redisserver.Start(ctx, redisserver.Options{})
	if err != nil {
		e.close()
		return nil, fmt.Errorf("starting redis-server: %w", err)
	}
	e.sim.BindRedisTo(e.redis.Host(), e.redis.Port(), e.redis.Password())
	e.vars = map[string]string{"RAILWAY_API_TOKEN": benchToken, "BENCH_PROJECT_ID": e.projectID}
	if pg != nil {
		if e.pg, err = pgserver.Start(ctx, *pg); err != nil {
			e.close()
			return nil, fmt.Errorf("starting postgres: %w", err)
		}
		e.vars["DATABASE_URL"] = e.pg.URL()
	}
	return e, nil
}

func (e *env) close() {
	if e.pg != nil {
		_ = e.pg.Close() // a temporary cluster
	}
	if e.redis != nil {
		_ = e.redis.Close() // always nil
	}
	if e.sim != nil {
		e.sim.Close()
	}
	_ = os.RemoveAll(e.dir) // a temporary directory
}

func (e *env) lookup(k string) (string, bool) { v, ok := e.vars[k]; return v, ok }

// writeSpec writes the bench's spec: the flap guard is opened wide (every
// trial is a rollback) and minRolledBack is 0, so that trials follow each
// other.
func (e *env) writeSpec(c config, reconcile string) error {
	statePath, stateSection := e.statePath, ""
	if e.pg != nil {
		statePath, stateSection = "", "state:\n  backend: postgres\n  postgres:\n    url: ${DATABASE_URL}\n"
		if e.lease.duration > 0 {
			stateSection += fmt.Sprintf("    leaseDuration: %s\n    renewDeadline: %s\n    retryPeriod: %s\n",
				e.lease.duration, e.lease.renew, e.lease.retry)
		}
	}
	doc := testspec.Doc(testspec.Options{Name: benchName, Endpoint: e.sim.URL(), ProjectID: "${BENCH_PROJECT_ID}",
		MaxRequestsPerHour: 100000, RedisURL: declaredURL, Health: "probeTimeout: " + c.timeout.String(), StatePath: statePath,
		Extra: stateSection + fmt.Sprintf(`rollback:
  failureThreshold: %d
  recoveryThreshold: %d
  minRolledBack: 0s
  maxRollbacks: 1000
schedule:
  reconcile: %q
  probe: %q
  report: "@every 24h"
`, c.failures, c.recovery, reconcile, everyExpr(c.probe))})
	return os.WriteFile(e.specPath, []byte(doc), 0o600)
}

// firstUpsert returns when the simulator received the first variable write
// after t carrying REDIS_URL=url.
func (e *env) firstUpsert(t time.Time, url string) (time.Time, bool) {
	for _, r := range e.sim.Requests() {
		if !r.At.After(t) || !slices.Contains(r.Fields, "variableCollectionUpsert") {
			continue
		}
		v, _ := r.Variables["variables"].(map[string]any)
		if s, ok := v["REDIS_URL"].(string); ok && s == url {
			return r.At, true
		}
	}
	return time.Time{}, false
}

// bound is the backend's REDIS_URL as declared.
func (e *env) bound() bool { return e.sim.Variables(e.envID, e.backendID)["REDIS_URL"] == declaredURL }

// waitFor polls cond every 2 ms until it holds, ctx ends or timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}
