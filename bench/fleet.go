package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// unitsPerGroup is how many units share one project and environment (one
// batched observation) and one redis-server (each on its own database).
const unitsPerGroup = 10

// redisImage is the image of the seeded addons: the redis template's.
const redisImage = "ghcr.io/railwayapp-templates/redis:8"

// fleetEnv is a simulator seeded with units÷10 projects of 10 units each:
// per unit, a deployed `backend-I` bound to a deployed `Redis-I` whose
// public URL reaches a real redis-server (database I). The first unit, the
// victim, has a redis-server of its own, to kill.
type fleetEnv struct {
	sim      *railwaytest.Server
	servers  []*redisserver.Server // one per group; the victim's apart
	victim   *redisserver.Server
	dir      string // the spec directory
	stateDir string
	vars     map[string]string
	units    []fleetUnit
}

// fleetUnit is one seeded unit.
type fleetUnit struct {
	name, projectID, envID, backendID, addon string
	projectVar                               string // the variable the spec reads projectID from
}

func newFleetEnv(ctx context.Context, n int) (*fleetEnv, error) {
	root, err := os.MkdirTemp("", "reconciler-bench-fleet-")
	if err != nil {
		return nil, err
	}
	e := &fleetEnv{dir: filepath.Join(root, "specs"), stateDir: filepath.Join(root, "state"),
		vars: map[string]string{"RAILWAY_API_TOKEN": benchToken}}
	if err := errors.Join(os.Mkdir(e.dir, 0o700), os.Mkdir(e.stateDir, 0o700)); err != nil {
		e.close()
		return nil, err
	}
	e.sim, err = railwaytest.New(railwaytest.Options{DeployDuration: 500 * time.Millisecond,
		WorkflowDuration: 500 * time.Millisecond, RateLimit: 1 << 30})
	if err != nil {
		e.close()
		return nil, err
	}
	e.sim.AddWorkspaceToken(benchToken)
	if err := e.seed(ctx, n); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// seed creates the projects, services and redis-servers of n units.
func (e *fleetEnv) seed(ctx context.Context, n int) error {
	var err error
	if e.victim, err = redisserver.Start(ctx, redisserver.Options{}); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	var pid, eid string
	var srv *redisserver.Server
	for i := range n {
		g, k := i/unitsPerGroup, i%unitsPerGroup
		if k == 0 {
			pid, eid = e.sim.CreateProject(fmt.Sprintf("fleet-%02d", g))
			e.vars[fmt.Sprintf("FLEET_PROJECT_%02d", g)] = pid
			if srv, err = redisserver.Start(ctx, redisserver.Options{}); err != nil {
				return fmt.Errorf("starting redis-server %d: %w", g+1, err)
			}
			e.servers = append(e.servers, srv)
		}
		u := fleetUnit{name: fmt.Sprintf("app-%02d-%d", g, k), projectID: pid, envID: eid, addon: fmt.Sprintf("Redis-%d", k),
			projectVar: fmt.Sprintf("FLEET_PROJECT_%02d", g)}
		u.backendID = e.sim.AddService(pid, fmt.Sprintf("backend-%d", k), "")
		e.deployed(eid, u.backendID)
		s, db := srv, k
		if i == 0 {
			s, db = e.victim, 0
		}
		e.addRedis(u, s, db)
		e.sim.SetVariables(eid, u.backendID, map[string]string{"REDIS_URL": e.declared(u)})
		e.units = append(e.units, u)
	}
	return nil
}

// addRedis adds u's addon, shaped like the redis template's, reachable
// through a TCP proxy at s, on database db.
func (e *fleetEnv) addRedis(u fleetUnit, s *redisserver.Server, db int) {
	id := e.sim.AddService(u.projectID, u.addon, redisImage)
	e.sim.AddTCPProxy(u.envID, id, s.Host(), s.Port(), 6379)
	e.sim.SetVariables(u.envID, id, map[string]string{
		"REDIS_PASSWORD": s.Password(), "REDISHOST": "${{RAILWAY_PRIVATE_DOMAIN}}", "REDISPORT": "6379",
		"REDISUSER": "default", "REDISPASSWORD": "${{REDIS_PASSWORD}}",
		"REDIS_URL":        "redis://${{REDISUSER}}:${{REDISPASSWORD}}@${{REDISHOST}}:${{REDISPORT}}",
		"REDIS_PUBLIC_URL": fmt.Sprintf("redis://default:${{REDIS_PASSWORD}}@${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}/%d", db),
	})
	e.deployed(u.envID, id)
}

func (e *fleetEnv) deployed(envID, serviceID string) {
	e.sim.SetDeploymentStatus(e.sim.Deploy(envID, serviceID), railway.StatusSuccess)
}

func (e *fleetEnv) declared(u fleetUnit) string { return "${{" + u.addon + ".REDIS_URL}}" }

// writeSpecs writes one spec file per unit, on the default schedules and
// a Pro account's budget. The victim's rollback settings let its trials
// follow each other.
func (e *fleetEnv) writeSpecs(budget int) error {
	for i, u := range e.units {
		doc := testspec.Doc(testspec.Options{Name: u.name, Endpoint: e.sim.URL(), ProjectID: "${" + u.projectVar + "}",
			MaxRequestsPerHour: budget, RedisURL: e.declared(u), StatePath: filepath.Join(e.stateDir, "state.json")})
		doc = strings.Replace(doc, "service: Redis\n", "service: "+u.addon+"\n", 1)
		doc = strings.Replace(doc, "service: backend\n", "service: "+strings.Replace(u.addon, "Redis", "backend", 1)+"\n", 1)
		if i == 0 {
			doc += "rollback:\n  minRolledBack: 0s\n  recoveryThreshold: 2\n  maxRollbacks: 1000\n"
		}
		if err := os.WriteFile(filepath.Join(e.dir, u.name+".yaml"), []byte(doc), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// upsertAfter returns when the simulator received the first variable
// write after t for u's backend carrying REDIS_URL=url.
func (e *fleetEnv) upsertAfter(t time.Time, u fleetUnit, url string) (time.Time, bool) {
	for _, r := range e.sim.Requests() {
		if !r.At.After(t) || r.OperationName != railway.OpUpsertVariables {
			continue
		}
		if r.Variables["service"] != u.backendID {
			continue
		}
		v, _ := r.Variables["variables"].(map[string]any)
		if s, ok := v["REDIS_URL"].(string); ok && s == url {
			return r.At, true
		}
	}
	return time.Time{}, false
}

func (e *fleetEnv) close() {
	for _, s := range append(e.servers, e.victim) {
		if s != nil {
			_ = s.Close() // always nil
		}
	}
	if e.sim != nil {
		e.sim.Close()
	}
	if e.dir != "" {
		_ = os.RemoveAll(filepath.Dir(e.dir)) // a temporary directory
	}
}
