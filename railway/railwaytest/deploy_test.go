package railwaytest

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

const (
	deployMutation = `mutation D($e: String!, $s: String!) { serviceInstanceDeployV2(environmentId: $e, serviceId: $s) }`
	deploymentQ    = `query Q($id: String!) { deployment(id: $id) { id status createdAt statusUpdatedAt serviceId environmentId } }`
	upsertMutation = `mutation U($in: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $in) }`
)

func (w *world) deploy(t *testing.T) string {
	t.Helper()
	return gql(t, w.s, bearer(adminToken), deployMutation, map[string]any{"e": w.envID, "s": w.backendID}).ok(t).str("serviceInstanceDeployV2")
}

func (w *world) status(t *testing.T, id string) (railway.DeploymentStatus, string) {
	t.Helper()
	r := gql(t, w.s, bearer(adminToken), deploymentQ, map[string]any{"id": id}).ok(t)
	return railway.DeploymentStatus(r.str("deployment", "status")), r.str("deployment", "statusUpdatedAt")
}

func (w *world) upsert(t *testing.T, serviceID string, vars map[string]any, skip bool) {
	t.Helper()
	in := map[string]any{"projectId": w.projectID, "environmentId": w.envID, "variables": vars, "skipDeploys": skip}
	if serviceID != "" {
		in["serviceId"] = serviceID
	}
	gql(t, w.s, bearer(adminToken), upsertMutation, map[string]any{"in": in}).ok(t)
}

func TestDeploymentLifecycle(t *testing.T) {
	w := newWorld(t, Options{DeployDuration: 10 * time.Second})
	first := w.deploy(t)
	steps := []struct {
		advance time.Duration
		want    railway.DeploymentStatus
		at      string
	}{
		{0, railway.StatusInitializing, "2026-11-25T10:00:00.000Z"},
		{4 * time.Second, railway.StatusInitializing, "2026-11-25T10:00:00.000Z"},
		{time.Second, railway.StatusDeploying, "2026-11-25T10:00:05.000Z"},
		{5 * time.Second, railway.StatusSuccess, "2026-11-25T10:00:10.000Z"},
	}
	for _, st := range steps {
		w.clock.Advance(st.advance)
		if got, at := w.status(t, first); got != st.want || at != st.at {
			t.Fatalf("after %v: %s at %s, want %s at %s", st.advance, got, at, st.want, st.at)
		}
	}
	second := w.deploy(t) // at 10:00:10
	w.clock.Advance(9 * time.Second)
	if got, _ := w.status(t, first); got != railway.StatusSuccess {
		t.Errorf("previous while the new one deploys: %s", got)
	}
	w.clock.Advance(time.Second)
	if got, _ := w.status(t, second); got != railway.StatusSuccess {
		t.Errorf("new: %s", got)
	}
	if got, at := w.status(t, first); got != railway.StatusRemoved || at != "2026-11-25T10:00:20.000Z" {
		t.Errorf("previous once the new one succeeded: %s at %s", got, at)
	}
	if d, _ := w.s.LatestDeployment(w.envID, w.backendID); d.ID != second || d.Status != railway.StatusSuccess {
		t.Errorf("LatestDeployment = %+v", d)
	}
	if r := gql(t, w.s, bearer(adminToken), deploymentQ, map[string]any{"id": "nope"}); r.errMessage() != "Deployment not found" || r.Data != nil {
		t.Errorf("unknown deployment: %s", r.Body)
	}
}

func TestFailedAndSupersededDeployments(t *testing.T) {
	w := newWorld(t, Options{DeployDuration: 2 * time.Second})
	good := w.deploy(t)
	w.clock.Advance(2 * time.Second)
	w.s.FailNextDeploy("backend", railway.StatusCrashed)
	w.s.FailNextDeploy("backend", railway.StatusFailed)
	crashed := w.deploy(t)
	w.clock.Advance(2 * time.Second)
	failed := w.deploy(t)
	w.clock.Advance(time.Second)
	superseded := w.deploy(t) // while failed is still in progress
	w.clock.Advance(2 * time.Second)
	want := map[string]railway.DeploymentStatus{
		good: railway.StatusRemoved, crashed: railway.StatusCrashed,
		failed: railway.StatusRemoved, superseded: railway.StatusSuccess,
	}
	for id, st := range want {
		if got, _ := w.status(t, id); got != st {
			t.Errorf("%s: %s, want %s", id, got, st)
		}
	}
	// A deployment that fails leaves the running one up.
	w.s.FailNextDeploy("backend", railway.StatusFailed)
	last := w.deploy(t)
	w.clock.Advance(2 * time.Second)
	if got, _ := w.status(t, last); got != railway.StatusFailed {
		t.Errorf("last: %s", got)
	}
	if got, _ := w.status(t, superseded); got != railway.StatusSuccess {
		t.Errorf("running one after a failed deploy: %s", got)
	}
	if !w.s.SetDeploymentStatus(superseded, railway.StatusCrashed) {
		t.Fatal("SetDeploymentStatus: unknown")
	}
	if got, _ := w.status(t, superseded); got != railway.StatusCrashed {
		t.Errorf("pinned: %s", got)
	}
	if n := len(w.s.Deployments(w.envID, w.backendID)); n != 5 {
		t.Errorf("Deployments: %d", n)
	}
}

func TestVariableChangesDeployUnlessSkipped(t *testing.T) {
	w := newWorld(t, Options{})
	count := func() int { return len(w.s.Deployments(w.envID, w.backendID)) }

	w.upsert(t, w.backendID, map[string]any{"REDIS_URL": "${{Redis.REDIS_URL}}"}, true)
	if count() != 0 {
		t.Fatalf("skipDeploys: true deployed")
	}
	w.upsert(t, w.backendID, map[string]any{"REDIS_URL": ""}, false)
	if count() != 1 {
		t.Fatalf("a change without skipDeploys: %d deployments, want 1", count())
	}
	w.upsert(t, w.backendID, map[string]any{"REDIS_URL": ""}, false)
	if count() != 1 {
		t.Errorf("an unchanged value deployed")
	}
	gql(t, w.s, bearer(adminToken), `mutation($in: VariableUpsertInput!) { variableUpsert(input: $in) }`, map[string]any{"in": map[string]any{
		"projectId": w.projectID, "environmentId": w.envID, "serviceId": w.backendID, "name": "A", "value": "1",
	}}).ok(t) // skipDeploys defaults to false
	if count() != 2 {
		t.Errorf("variableUpsert without skipDeploys: %d deployments, want 2", count())
	}
	// A shared variable change deploys the services that reference it.
	w.s.SetVariables(w.envID, w.backendID, map[string]string{"R": "${{ shared.REGION }}"})
	workerID := w.s.AddService(w.projectID, "worker", "w:1")
	w.upsert(t, "", map[string]any{"REGION": "eu"}, false)
	if count() != 3 || len(w.s.Deployments(w.envID, workerID)) != 0 {
		t.Errorf("shared change: backend %d deployments (want 3), worker %d (want 0)", count(), len(w.s.Deployments(w.envID, workerID)))
	}
	if got := w.s.Variables(w.envID, ""); got["REGION"] != "eu" {
		t.Errorf("shared = %v", got)
	}
}

func TestOnDeployGetsRenderedVariables(t *testing.T) {
	w := newWorld(t, Options{})
	redisID := w.s.AddService(w.projectID, "Redis", "redis:8")
	w.s.SetVariables(w.envID, redisID, map[string]string{"REDIS_URL": "redis://default:pw@${{RAILWAY_PRIVATE_DOMAIN}}:6379"})
	var mu sync.Mutex
	var events []DeployEvent
	w.s.OnDeploy(func(ev DeployEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
		w.s.AppendLog(ev.DeploymentID, "Redis pool connected") // hooks run outside the lock
	})
	w.upsert(t, w.backendID, map[string]any{"REDIS_URL": "${{Redis.REDIS_URL}}"}, false)
	id := w.deploy(t)
	seeded := w.s.Deploy(w.envID, redisID)

	mu.Lock()
	defer mu.Unlock()
	if len(events) != 3 {
		t.Fatalf("events = %+v", events)
	}
	ev := events[1]
	if ev.DeploymentID != id || ev.ServiceName != "backend" || ev.ServiceID != w.backendID || ev.EnvironmentID != w.envID {
		t.Errorf("event = %+v", ev)
	}
	if got := ev.Variables["REDIS_URL"]; got != "redis://default:pw@redis.railway.internal:6379" {
		t.Errorf("REDIS_URL = %q", got)
	}
	if ev.Variables["RAILWAY_DEPLOYMENT_ID"] != id || ev.Variables["RAILWAY_PRIVATE_DOMAIN"] != "backend.railway.internal" {
		t.Errorf("RAILWAY_* = %v", ev.Variables)
	}
	if events[2].DeploymentID != seeded || events[2].ServiceName != "Redis" {
		t.Errorf("Deploy event = %+v", events[2])
	}
}

func TestDeploymentLogs(t *testing.T) {
	w := newWorld(t, Options{})
	id := w.deploy(t)
	for _, m := range []string{"starting", "Redis pool connected", "listening on :8080", "redis pool connected again"} {
		w.s.AppendLog(id, m)
		w.clock.Advance(time.Millisecond)
	}
	const q = `query L($id: String!, $limit: Int, $filter: String) {
	  deploymentLogs(deploymentId: $id, limit: $limit, filter: $filter) { timestamp message severity } }`
	messages := func(s *Server, vars map[string]any) []string {
		r := gql(t, s, bearer(adminToken), q, vars).ok(t)
		var out []string
		for _, l := range r.get("deploymentLogs").([]any) {
			out = append(out, l.(map[string]any)["message"].(string))
		}
		return out
	}
	if got := messages(w.s, map[string]any{"id": id}); len(got) != 4 {
		t.Errorf("all: %q", got)
	}
	if got := messages(w.s, map[string]any{"id": id, "filter": `"Redis pool connected"`}); !slices.Equal(got, []string{"Redis pool connected", "redis pool connected again"}) {
		t.Errorf("filter: %q", got)
	}
	if got := messages(w.s, map[string]any{"id": id, "limit": 2}); !slices.Equal(got, []string{"listening on :8080", "redis pool connected again"}) {
		t.Errorf("limit: %q", got)
	}
	if got := messages(w.s, map[string]any{"id": id, "filter": "@level:error"}); len(got) != 0 {
		t.Errorf("@level:error: %q", got)
	}
	r := gql(t, w.s, bearer(adminToken), q, map[string]any{"id": id, "limit": 1}).ok(t)
	if ts := r.str("deploymentLogs", 0, "timestamp"); !strings.HasPrefix(ts, "2026-11-25T10:00:00.003") {
		t.Errorf("timestamp %q", ts)
	}

	quirky := newWorld(t, Options{LogLimitQuirk: true})
	qid := quirky.deploy(t)
	for _, m := range []string{"a", "b", "c"} {
		quirky.s.AppendLog(qid, m)
	}
	if got := messages(quirky.s, map[string]any{"id": qid, "limit": 1}); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("limit+1 quirk: %q", got)
	}
}

func TestDeploymentsQuery(t *testing.T) {
	w := newWorld(t, Options{})
	first := w.deploy(t)
	w.clock.Advance(5 * time.Second)
	second := w.deploy(t)
	r := gql(t, w.s, bearer(adminToken), `query($in: DeploymentListInput!) { deployments(input: $in, first: 5) {
	  edges { node { id status } } } }`, map[string]any{"in": map[string]any{
		"projectId": w.projectID, "environmentId": w.envID, "serviceId": w.backendID,
		"status": map[string]any{"in": []any{"SUCCESS", "INITIALIZING"}},
	}}).ok(t)
	if r.str("deployments", "edges", 0, "node", "id") != second || r.str("deployments", "edges", 1, "node", "id") != first {
		t.Errorf("deployments = %s", r.Body)
	}
}
