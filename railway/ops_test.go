package railway_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/smartlic/reconciler/railway"
)

func TestCheckAccess(t *testing.T) {
	t.Parallel()
	workspaces := answer(map[string]any{"apiToken": map[string]any{"workspaces": []any{map[string]any{"id": "w1", "name": "acme"}}}})
	project := answer(map[string]any{"project": map[string]any{"id": "p1"}})
	projectToken := answer(map[string]any{"projectToken": map[string]any{"projectId": "p1", "environmentId": "e1"}})
	tests := []struct {
		name    string
		kind    railway.TokenKind
		replies []reply
		wantIs  error
		wantMsg string
		header  string
	}{
		{name: "bearer ok", kind: railway.BearerToken, replies: []reply{workspaces, project}, header: "Authorization"},
		{
			name: "bearer rejected", kind: railway.BearerToken, replies: []reply{gqlErrors(nil, "Not Authorized")},
			wantIs: railway.ErrUnauthorized, wantMsg: "RAILWAY_API_TOKEN was rejected by Railway: Not Authorized",
		},
		{
			name: "bearer without the project", kind: railway.BearerToken, replies: []reply{workspaces, gqlErrors(nil, "Project not found")},
			wantIs: railway.ErrNotFound, wantMsg: "RAILWAY_API_TOKEN has no access to project p1: Project not found",
		},
		{
			name: "apiToken refused but project readable (account token)", kind: railway.BearerToken,
			replies: []reply{gqlErrors(nil, "Not Authorized"), project}, header: "Authorization",
		},
		{name: "project token ok", kind: railway.ProjectToken, replies: []reply{projectToken}, header: "Project-Access-Token"},
		{
			name: "project token rejected", kind: railway.ProjectToken, replies: []reply{gqlErrors(nil, "Project Token not found")},
			wantIs: railway.ErrUnauthorized, wantMsg: "RAILWAY_TOKEN was rejected by Railway: Project Token not found",
		},
		{
			name: "project token for another project", kind: railway.ProjectToken,
			replies: []reply{answer(map[string]any{"projectToken": map[string]any{"projectId": "p2", "environmentId": "e9"}})},
			wantIs:  railway.ErrUnauthorized, wantMsg: "RAILWAY_TOKEN is a token for project p2, not project p1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeServer(t, sequence(tt.replies...))
			c := newTestClient(t, srv.URL, newFakeClock(), func(o *railway.Options) {
				o.Credentials = railway.NewCredentials(tt.kind, "", testToken)
			})
			err := c.CheckAccess(t.Context(), "p1")
			if tt.wantIs == nil && err != nil || tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Fatalf("err = %v, want %v", err, tt.wantIs)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("message = %q, want %q", err, tt.wantMsg)
			}
			if err == nil && tt.header != "" {
				checkAuthHeader(t, srv.Requests()[0], tt.header)
			}
		})
	}
}

func checkAuthHeader(t *testing.T, r received, header string) {
	t.Helper()
	want := testToken
	if header == "Authorization" {
		want = "Bearer " + testToken
	}
	if got := r.Header.Get(header); got != want {
		t.Errorf("%s = %q, want %q", header, got, want)
	}
	other := map[string]string{"Authorization": "Project-Access-Token", "Project-Access-Token": "Authorization"}[header]
	if r.Header.Get(other) != "" {
		t.Errorf("%s set as well", other)
	}
	if ua := r.Header.Get("User-Agent"); ua != "reconciler/test" {
		t.Errorf("User-Agent = %q", ua)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestProjectFollowsPages(t *testing.T) {
	t.Parallel()
	page := func(envs, svcs []string, envMore, svcMore bool) reply {
		conn := func(names []string, more bool) map[string]any {
			edges := []any{}
			for _, n := range names {
				edges = append(edges, map[string]any{"node": map[string]any{"id": "id-" + n, "name": n}})
			}
			return map[string]any{"edges": edges, "pageInfo": map[string]any{"hasNextPage": more, "endCursor": "c-" + strings.Join(names, "")}}
		}
		return answer(map[string]any{"project": map[string]any{"id": "p1", "name": "shop",
			"environments": conn(envs, envMore), "services": conn(svcs, svcMore)}})
	}
	srv := newFakeServer(t, sequence(
		page([]string{"production"}, []string{"backend", "Redis"}, false, true),
		page([]string{"production"}, []string{"worker"}, false, false),
	))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	p, err := c.Project(t.Context(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	want := &railway.Project{ID: "p1", Name: "shop",
		Environments: []railway.Environment{{ID: "id-production", Name: "production"}},
		Services:     []railway.Service{{ID: "id-backend", Name: "backend"}, {ID: "id-Redis", Name: "Redis"}, {ID: "id-worker", Name: "worker"}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("project = %+v\nwant %+v", p, want)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[1].Body.Variables["servicesAfter"] != "c-backendRedis" {
		t.Errorf("requests = %+v", reqs)
	}
}

// observeReply answers an Observe with two instances and the aliases asked for.
func observeReply(vars map[string]any, more bool) reply {
	data := map[string]any{"environment": map[string]any{"id": vars["env"], "serviceInstances": map[string]any{
		"edges": []any{
			map[string]any{"node": map[string]any{"serviceId": "s-redis", "serviceName": "Redis", "source": map[string]any{"image": "redis:8"},
				"latestDeployment": map[string]any{"id": "d-r", "status": "SUCCESS", "createdAt": "2026-11-25T10:00:00Z", "statusUpdatedAt": "2026-11-25T10:01:00Z"}}},
			map[string]any{"node": map[string]any{"serviceId": "s-backend", "serviceName": "backend", "source": nil, "latestDeployment": nil}},
		},
		"pageInfo": map[string]any{"hasNextPage": more, "endCursor": "cur1"},
	}}}
	for i := 0; ; i++ {
		id, ok := vars[fmt.Sprintf("s%d", i)]
		if !ok {
			break
		}
		data[fmt.Sprintf("v%d", i)] = map[string]any{"REDIS_URL": "${{Redis.REDIS_URL}}", "OWNER": id, "GONE": nil}
	}
	return answer(data)
}

func TestObserveIsOneRequest(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, byOperation(map[string]func(map[string]any) reply{
		railway.OpObserve: func(v map[string]any) reply { return observeReply(v, false) },
	}))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	obs, err := c.Observe(t.Context(), "p1", "e1", []string{"s-worker", "s-backend", "s-worker"})
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests = %d, want 1", len(reqs))
	}
	if q := reqs[0].Body.Query; q != railway.ObserveDocument(2) || !strings.Contains(q, "v1: variables(") {
		t.Errorf("query = %s", q)
	}
	if v := reqs[0].Body.Variables; v["s0"] != "s-backend" || v["s1"] != "s-worker" || v["project"] != "p1" || v["env"] != "e1" {
		t.Errorf("variables = %v", v)
	}
	redis, ok := obs.Instance("Redis")
	if !ok || redis.Image != "redis:8" || redis.LatestDeployment == nil || redis.LatestDeployment.Status != railway.StatusSuccess ||
		redis.LatestDeployment.ServiceID != "s-redis" || redis.LatestDeployment.StatusUpdatedAt.IsZero() {
		t.Errorf("redis = %+v", redis)
	}
	if b, ok := obs.InstanceByID("s-backend"); !ok || b.LatestDeployment != nil || b.Image != "" {
		t.Errorf("backend = %+v", b)
	}
	want := map[string]map[string]string{
		"s-backend": {"REDIS_URL": "${{Redis.REDIS_URL}}", "OWNER": "s-backend"},
		"s-worker":  {"REDIS_URL": "${{Redis.REDIS_URL}}", "OWNER": "s-worker"},
	}
	if !reflect.DeepEqual(obs.Variables, want) || obs.EnvironmentID != "e1" {
		t.Errorf("variables = %v", obs.Variables)
	}
}

func TestObserveFollowsInstancePages(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, byOperation(map[string]func(map[string]any) reply{
		railway.OpObserve: func(v map[string]any) reply { return observeReply(v, true) },
		railway.OpObserveInstances: func(v map[string]any) reply {
			if v["after"] != "cur1" {
				return gqlErrors(nil, "bad cursor")
			}
			return answer(map[string]any{"environment": map[string]any{"serviceInstances": map[string]any{
				"edges":    []any{map[string]any{"node": map[string]any{"serviceId": "s-3", "serviceName": "worker"}}},
				"pageInfo": map[string]any{"hasNextPage": false, "endCursor": nil},
			}}})
		},
	}))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	obs, err := c.Observe(t.Context(), "p1", "e1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Instances) != 3 || len(srv.Requests()) != 2 {
		t.Errorf("instances %d, requests %d: want 3 and 2", len(obs.Instances), len(srv.Requests()))
	}
}

func TestObservePartialIsAnError(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, func(_ int, b gqlBody) reply {
		full := observeReply(b.Variables, false)
		var env struct{ Data map[string]any }
		_ = json.Unmarshal([]byte(full.body), &env)
		env.Data["v0"] = nil
		return gqlErrors(env.Data, "Service not found")
	})
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	obs, err := c.Observe(t.Context(), "p1", "e1", []string{"gone"})
	if obs != nil || !errors.Is(err, railway.ErrNotFound) {
		t.Errorf("obs = %v, err = %v: want nil and ErrNotFound", obs, err)
	}
}

func TestRenderedVariables(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(answer(map[string]any{"variables": map[string]any{"REDIS_URL": "redis://default:pw@redis:6379", "NULL": nil}})))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	vars, err := c.RenderedVariables(t.Context(), "p1", "e1", "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(vars) != 1 || vars["REDIS_URL"].Value() != "redis://default:pw@redis:6379" {
		t.Errorf("vars = %v", vars)
	}
	r := srv.Requests()[0].Body
	if strings.Contains(r.Query, "unrendered") || r.Variables["service"] != "s1" {
		t.Errorf("request = %+v", r)
	}
}

func TestTemplateSentWithoutAuth(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(answer(map[string]any{"template": map[string]any{
		"id": "tpl-1", "code": "redis", "serializedConfig": map[string]any{"services": map[string]any{}},
	}})))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	tpl, err := c.Template(t.Context(), "redis")
	if err != nil {
		t.Fatal(err)
	}
	if tpl.ID != "tpl-1" || tpl.Code != "redis" || string(tpl.SerializedConfig) != `{"services":{}}` {
		t.Errorf("template = %+v (%s)", tpl, tpl.SerializedConfig)
	}
	h := srv.Requests()[0].Header
	if h.Get("Authorization") != "" || h.Get("Project-Access-Token") != "" {
		t.Errorf("template request carried credentials: %v", h)
	}
}

func TestDeployTemplateRewritesConfig(t *testing.T) {
	t.Parallel()
	const cfg = `{"services":{"tpl-svc":{"name":"Redis","icon":"redis.svg","source":{"image":"redis:8"},
	"deploy":{"startCommand":"redis-server","extra":[1,2,{"deep":true}]},
	"variables":{"REDIS_PASSWORD":{"defaultValue":"${{secret(32)}}","description":"pw"},
	"REDISPORT":{"defaultValue":"6379","value":""},"KEEP":{"defaultValue":"d","value":"set"},
	"OPTIONAL":{"isOptional":true},"NULLVAL":{"defaultValue":"x","value":null}}}},
	"volumes":{"v1":{"mountPath":"/data"}},"unknownTop":{"k":"v"}}`
	srv := newFakeServer(t, sequence(deployedTemplate))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	wf, err := c.DeployTemplate(t.Context(), railway.TemplateDeploy{ProjectID: "p1", EnvironmentID: "e1",
		Template: &railway.Template{ID: "tpl-1", Code: "redis", SerializedConfig: []byte(cfg)}, ServiceName: "cache"})
	if err != nil || wf != "wf1" {
		t.Fatalf("workflow %q, err %v", wf, err)
	}
	vars := srv.Requests()[0].Body.Variables
	if vars["template"] != "tpl-1" || vars["project"] != "p1" || vars["env"] != "e1" {
		t.Errorf("variables = %v", vars)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(cfg), &want); err != nil {
		t.Fatal(err)
	}
	svc := want["services"].(map[string]any)["tpl-svc"].(map[string]any)
	svc["name"] = "cache"
	v := svc["variables"].(map[string]any)
	v["REDIS_PASSWORD"].(map[string]any)["value"] = "${{secret(32)}}"
	v["REDISPORT"].(map[string]any)["value"] = "6379"
	v["NULLVAL"].(map[string]any)["value"] = "x"
	if !reflect.DeepEqual(vars["config"], want) {
		got, _ := json.Marshal(vars["config"])
		t.Errorf("config =\n%s", got)
	}
}

func TestDeployTemplateNeedsOneService(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(deployedTemplate))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	for _, cfg := range []string{`{"services":{}}`, `{"services":{"a":{"name":"A"},"b":{"name":"B"}}}`, `[]`, ``} {
		_, err := c.DeployTemplate(t.Context(), railway.TemplateDeploy{ProjectID: "p1", EnvironmentID: "e1",
			Template: &railway.Template{ID: "t", SerializedConfig: []byte(cfg)}, ServiceName: "Redis"})
		if err == nil {
			t.Errorf("config %s accepted", cfg)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestWorkflowStatus(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(
		answer(map[string]any{"workflowStatus": map[string]any{"status": "Running", "error": nil}}),
		answer(map[string]any{"workflowStatus": map[string]any{"status": "Error", "error": "image pull failed"}}),
	))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	for _, want := range []railway.WorkflowResult{{Status: railway.WorkflowRunning}, {Status: railway.WorkflowError, Error: "image pull failed"}} {
		got, err := c.WorkflowStatus(t.Context(), "wf1")
		if err != nil || got != want {
			t.Errorf("got %+v, %v; want %+v", got, err, want)
		}
	}
}

func TestUpsertVariables(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, sequence(answer(map[string]any{"variableCollectionUpsert": true})))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	if err := c.UpsertVariables(t.Context(), "p1", "e1", "s1", nil); err != nil || len(srv.Requests()) != 0 {
		t.Fatalf("empty upsert: err %v, %d requests", err, len(srv.Requests()))
	}
	if err := c.UpsertVariables(t.Context(), "p1", "e1", "s1", map[string]string{"REDIS_URL": ""}); err != nil {
		t.Fatal(err)
	}
	b := srv.Requests()[0].Body
	if !strings.Contains(b.Query, "skipDeploys: true") || strings.Contains(b.Query, "replace") {
		t.Errorf("query = %s", b.Query)
	}
	if !reflect.DeepEqual(b.Variables["variables"], map[string]any{"REDIS_URL": ""}) || b.Variables["service"] != "s1" {
		t.Errorf("variables = %v", b.Variables)
	}
}

func TestDeployServiceAndDeployment(t *testing.T) {
	t.Parallel()
	srv := newFakeServer(t, byOperation(map[string]func(map[string]any) reply{
		railway.OpDeployService: func(map[string]any) reply { return answer(map[string]any{"serviceInstanceDeployV2": "dep-9"}) },
		railway.OpDeployment:    func(map[string]any) reply { return deploymentOK },
	}))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	id, err := c.DeployService(t.Context(), "e1", "s1")
	if err != nil || id != "dep-9" {
		t.Fatalf("deploy = %q, %v", id, err)
	}
	d, err := c.Deployment(t.Context(), "d1")
	if err != nil || d.ServiceID != "s1" || d.Status != railway.StatusSuccess || d.CreatedAt.IsZero() || !d.StatusUpdatedAt.IsZero() {
		t.Errorf("deployment = %+v, %v", d, err)
	}
}

func TestDeploymentLogsKeepsLastLimit(t *testing.T) {
	t.Parallel()
	lines := []any{}
	for i := range 4 {
		lines = append(lines, map[string]any{"timestamp": fmt.Sprintf("2026-11-25T10:00:0%d.123456789Z", i), "message": fmt.Sprintf("line %d", i), "severity": "info"})
	}
	srv := newFakeServer(t, sequence(answer(map[string]any{"deploymentLogs": lines})))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	logs, err := c.DeploymentLogs(t.Context(), "d1", 3, "Redis pool connected")
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 3 || logs[0].Message != "line 1" || logs[2].Message != "line 3" || logs[2].Timestamp.Nanosecond() != 123456789 || logs[0].Severity != "info" {
		t.Errorf("logs = %+v", logs)
	}
	v := srv.Requests()[0].Body.Variables
	if v["limit"] != float64(3) || v["filter"] != "Redis pool connected" || v["id"] != "d1" {
		t.Errorf("variables = %v", v)
	}
}

func TestStatsRecordsRateLimitHeaders(t *testing.T) {
	t.Parallel()
	ok := deploymentOK
	ok.header = map[string]string{"X-RateLimit-Remaining": "42", "X-RateLimit-Reset": "1795600000"}
	srv := newFakeServer(t, sequence(ok))
	c := newTestClient(t, srv.URL, newFakeClock(), nil)
	if s := c.Stats(); s.RateLimitKnown || s.Requests != 0 {
		t.Errorf("fresh stats = %+v", s)
	}
	if _, err := c.Deployment(t.Context(), "d1"); err != nil {
		t.Fatal(err)
	}
	s := c.Stats()
	if !s.RateLimitKnown || s.RateLimitRemaining != 42 || s.RateLimitReset.Unix() != 1795600000 || s.Requests != 1 {
		t.Errorf("stats = %+v", s)
	}
}
