package reconcile

import (
	"testing"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

const fixtureSpec = `
version: 1
name: smartlic-production
railway:
  projectId: proj_1
  environment: production
addon:
  service: Redis
consumers:
  - service: backend
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
      CACHE_PREFIX: smartlic
  - service: worker
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
rollback:
  variables:
    REDIS_URL: ""
`

func fixture(t testing.TB, edit ...func(*spec.Spec)) *spec.Spec {
	t.Helper()
	sp, err := spec.Parse("desired.yaml", []byte(fixtureSpec), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("fixture spec: %v", err)
	}
	for _, e := range edit {
		e(sp)
	}
	return sp
}

// world builds observations for diff tests.
type world struct {
	addon     *railway.ServiceInstance
	consumers map[string]ConsumerObs
	err       error
}

func newWorld() *world {
	return &world{consumers: map[string]ConsumerObs{
		"backend": consumer("svc_backend", "d_b1", railway.StatusSuccess, nil),
		"worker":  consumer("svc_worker", "d_w1", railway.StatusSuccess, nil),
	}}
}

func consumer(id, dep string, status railway.DeploymentStatus, vars map[string]string) ConsumerObs {
	if vars == nil {
		vars = map[string]string{}
	}
	in := &railway.ServiceInstance{ServiceID: id, ServiceName: id[4:], Image: "",
		LatestDeployment: &railway.Deployment{ID: dep, ServiceID: id, Status: status, CreatedAt: t0}}
	return ConsumerObs{ID: id, Instance: in, Vars: vars}
}

func (w *world) withAddon(status railway.DeploymentStatus) *world {
	w.addon = &railway.ServiceInstance{ServiceID: "svc_redis", ServiceName: "Redis", Image: "ghcr.io/railwayapp-templates/redis:8",
		LatestDeployment: &railway.Deployment{ID: "d_r1", ServiceID: "svc_redis", Status: status, CreatedAt: t0}}
	return w
}

func (w *world) bound() *world {
	for name, c := range w.consumers {
		c.Vars = map[string]string{"REDIS_URL": "${{Redis.REDIS_URL}}"}
		if name == "backend" {
			c.Vars["CACHE_PREFIX"] = "smartlic"
		}
		w.consumers[name] = c
	}
	return w
}

func (w *world) set(svc, name, value string) *world {
	w.consumers[svc].Vars[name] = value
	return w
}

func (w *world) obs() *Observed {
	return &Observed{At: t0, Err: w.err, ProjectID: "proj_1", EnvironmentID: "env_1", Addon: w.addon, Consumers: w.consumers}
}

func stateWith(mode state.Mode, edit ...func(*state.State)) *state.State {
	st := state.New("smartlic-production", t0)
	st.Health.Mode = mode
	st.Railway = state.Resolved{ProjectID: "proj_1", Environment: "production", EnvironmentID: "env_1",
		Services: map[string]string{"backend": "svc_backend", "worker": "svc_worker"}}
	for _, e := range edit {
		e(st)
	}
	return st
}
