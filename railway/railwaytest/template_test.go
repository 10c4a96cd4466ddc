package railwaytest

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
)

const (
	templateQuery = `query Template($code: String!) { template(code: $code) { id code name serializedConfig } }`
	deployMut     = `mutation Deploy($input: TemplateDeployV2Input!) { templateDeployV2(input: $input) { projectId workflowId } }`
	workflowQuery = `query WF($id: String!) { workflowStatus(workflowId: $id) { status error } }`
)

// fetchTemplate reads the redis template without auth and prepares its
// config the way the CLI does: each variable's value from its defaultValue,
// the service renamed.
func fetchTemplate(t *testing.T, w *world, name string) (id string, cfg map[string]any) {
	t.Helper()
	r := gql(t, w.s, anonymous(), templateQuery, map[string]any{"code": "redis"}).ok(t)
	cfg = r.get("template", "serializedConfig").(map[string]any)
	for _, raw := range cfg["services"].(map[string]any) {
		svc := raw.(map[string]any)
		svc["name"] = name
		for _, v := range svc["variables"].(map[string]any) {
			v := v.(map[string]any)
			if d, _ := v["defaultValue"].(string); d != "" {
				v["value"] = d
			}
		}
	}
	return r.str("template", "id"), cfg
}

// createAddon deploys the redis template as name and waits (on the fake
// clock) for its workflow to complete, so the service is listed.
func createAddon(t *testing.T, w *world, name string) {
	t.Helper()
	deployTemplate(t, w, name).ok(t)
	w.clock.Advance(DefaultWorkflowDuration)
}

func deployTemplate(t *testing.T, w *world, name string) result {
	t.Helper()
	id, cfg := fetchTemplate(t, w, name)
	return gql(t, w.s, bearer(adminToken), deployMut, map[string]any{"input": map[string]any{
		"projectId": w.projectID, "environmentId": w.envID, "templateId": id, "serializedConfig": cfg,
	}})
}

func TestRedisTemplateShape(t *testing.T) {
	w := newWorld(t, Options{})
	r := gql(t, w.s, anonymous(), templateQuery, map[string]any{"code": "redis"}).ok(t)
	if r.str("template", "code") != "redis" || r.str("template", "id") != RedisTemplateID {
		t.Errorf("template = %s", r.Body)
	}
	svc := r.get("template", "serializedConfig", "services", redisTemplateServiceID).(map[string]any)
	if svc["name"] != "Redis" || !strings.Contains(svc["source"].(map[string]any)["image"].(string), "redis") {
		t.Errorf("service = %v", svc)
	}
	vars := svc["variables"].(map[string]any)
	for _, k := range []string{"REDIS_PASSWORD", "REDISHOST", "REDISPORT", "REDISUSER", "REDISPASSWORD", "REDIS_URL", "REDIS_PUBLIC_URL"} {
		if _, ok := vars[k].(map[string]any)["defaultValue"]; !ok {
			t.Errorf("variable %s has no defaultValue", k)
		}
	}
	if r := gql(t, w.s, anonymous(), templateQuery, map[string]any{"code": "nope"}); r.errMessage() != "Template not found" {
		t.Errorf("unknown template: %s", r.Body)
	}
}

func TestTemplateDeployCreatesBoundRedis(t *testing.T) {
	w := newWorld(t, Options{WorkflowDuration: 10 * time.Second})
	w.s.SetVariables(w.envID, w.backendID, map[string]string{"REDIS_URL": "${{Cache.REDIS_URL}}"})
	var mu sync.Mutex
	var hooked []string
	w.s.OnTemplateDeploy(func(name string) map[string]string {
		mu.Lock()
		defer mu.Unlock()
		hooked = append(hooked, name)
		return map[string]string{"REDISHOST": "127.0.0.1", "REDISPORT": "6390", "REDIS_PASSWORD": "s3cret"}
	})

	r := deployTemplate(t, w, "Cache").ok(t)
	wf := r.str("templateDeployV2", "workflowId")
	if wf == "" || r.str("templateDeployV2", "projectId") != w.projectID {
		t.Fatalf("payload = %s", r.Body)
	}
	status := func() string {
		return gql(t, w.s, bearer(adminToken), workflowQuery, map[string]any{"id": wf}).ok(t).str("workflowStatus", "status")
	}
	if got := status(); got != "NotFound" { // read-after-write lag: min(2s, 10s/4)
		t.Errorf("workflow at once = %s, want NotFound", got)
	}
	w.clock.Advance(2 * time.Second)
	if got := status(); got != "Running" {
		t.Errorf("workflow after 2s = %s, want Running", got)
	}
	if got := w.s.Services(w.projectID); !slices.Equal(got, []string{"backend"}) || !slices.Equal(w.s.PendingServices(w.projectID), []string{"Cache"}) {
		t.Errorf("services while running = %q, pending %q: want Cache pending only", got, w.s.PendingServices(w.projectID))
	}
	w.clock.Advance(8 * time.Second)
	if got := gql(t, w.s, bearer(adminToken), workflowQuery, map[string]any{"id": wf}).ok(t); got.str("workflowStatus", "status") != "Complete" || got.get("workflowStatus", "error") != nil {
		t.Errorf("workflow = %s", got.Body)
	}
	if got := gql(t, w.s, bearer(adminToken), workflowQuery, map[string]any{"id": "nope"}).ok(t); got.str("workflowStatus", "status") != "NotFound" {
		t.Errorf("unknown workflow = %s", got.Body)
	}

	if got := w.s.Services(w.projectID); !slices.Equal(got, []string{"backend", "Cache"}) {
		t.Fatalf("services = %q", got)
	}
	cacheID, _ := w.s.ServiceByName(w.projectID, "Cache")
	const wantURL = "redis://default:s3cret@127.0.0.1:6390"
	if got := w.s.RenderedVariables(w.envID, cacheID)["REDIS_URL"]; got != wantURL {
		t.Errorf("Cache REDIS_URL = %q, want %q", got, wantURL)
	}
	if got := w.s.RenderedVariables(w.envID, w.backendID)["REDIS_URL"]; got != wantURL {
		t.Errorf("backend REDIS_URL = %q, want %q", got, wantURL)
	}
	if got := w.s.Variables(w.envID, cacheID)["REDIS_URL"]; !strings.Contains(got, "${{REDISHOST}}") {
		t.Errorf("raw REDIS_URL lost its references: %q", got)
	}
	if d, ok := w.s.LatestDeployment(w.envID, cacheID); !ok || d.Status != railway.StatusSuccess {
		t.Errorf("Cache deployment = %+v, %v", d, ok) // 10s > DeployDuration
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(hooked, []string{"Cache"}) {
		t.Errorf("hook saw %q", hooked)
	}
}

func TestTemplateDeployWithoutHookGeneratesPassword(t *testing.T) {
	w := newWorld(t, Options{})
	createAddon(t, w, "Redis")
	id, ok := w.s.ServiceByName(w.projectID, "Redis")
	if !ok {
		t.Fatal("no Redis service")
	}
	vars := w.s.RenderedVariables(w.envID, id)
	pw := vars["REDIS_PASSWORD"]
	if !regexp.MustCompile(`^[a-zA-Z]{32}$`).MatchString(pw) {
		t.Errorf("generated password %q", pw)
	}
	if want := "redis://default:" + pw + "@redis.railway.internal:6379"; vars["REDIS_URL"] != want {
		t.Errorf("REDIS_URL = %q, want %q", vars["REDIS_URL"], want)
	}
	if want := "redis://default:" + pw + "@:"; vars["REDIS_PUBLIC_URL"] != want {
		t.Errorf("REDIS_PUBLIC_URL = %q, want %q (no TCP proxy)", vars["REDIS_PUBLIC_URL"], want)
	}
	r := gql(t, w.s, bearer(adminToken), `query($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) {
	  serviceName source { image } service { templateId templateServiceId } } }`, map[string]any{"e": w.envID, "s": id}).ok(t)
	if r.str("serviceInstance", "source", "image") != "ghcr.io/railwayapp-templates/redis:8" ||
		r.str("serviceInstance", "service", "templateId") != RedisTemplateID {
		t.Errorf("instance = %s", r.Body)
	}
}

func TestDuplicateServiceNameFails(t *testing.T) {
	w := newWorld(t, Options{})
	createAddon(t, w, "Redis")
	const msg = `A service named "Redis" already exists in this project`
	if r := deployTemplate(t, w, "Redis"); r.errMessage() != msg || r.Data != nil {
		t.Errorf("second template deploy: %s", r.Body)
	}
	r := gql(t, w.s, bearer(adminToken), `mutation($in: ServiceCreateInput!) { serviceCreate(input: $in) { id name } }`,
		map[string]any{"in": map[string]any{"projectId": w.projectID, "name": "Redis", "source": map[string]any{"image": "redis:8"}}})
	if r.errMessage() != msg {
		t.Errorf("serviceCreate duplicate: %s", r.Body)
	}
	r = gql(t, w.s, bearer(adminToken), `mutation($in: ServiceCreateInput!) { serviceCreate(input: $in) { id name } }`,
		map[string]any{"in": map[string]any{"projectId": w.projectID, "name": "worker", "source": map[string]any{"image": "w:1"}}}).ok(t)
	if got := w.s.Services(w.projectID); !slices.Equal(got, []string{"backend", "Redis", "worker"}) {
		t.Errorf("services = %q", got)
	}
}

func TestFailNextWorkflow(t *testing.T) {
	w := newWorld(t, Options{})
	w.s.FailNextWorkflow("image pull failed")
	wf := deployTemplate(t, w, "Redis").ok(t).str("templateDeployV2", "workflowId")
	w.clock.Advance(time.Minute)
	r := gql(t, w.s, bearer(adminToken), workflowQuery, map[string]any{"id": wf}).ok(t)
	if r.str("workflowStatus", "status") != "Error" || r.str("workflowStatus", "error") != "image pull failed" {
		t.Errorf("workflow = %s", r.Body)
	}
	if _, ok := w.s.ServiceByName(w.projectID, "Redis"); ok {
		t.Error("a failed workflow created the service")
	}
	createAddon(t, w, "Redis") // the next one works
	if _, ok := w.s.ServiceByName(w.projectID, "Redis"); !ok {
		t.Error("retry did not create the service")
	}
}
