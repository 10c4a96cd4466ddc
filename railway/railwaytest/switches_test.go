package railwaytest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

const servicesQ = `query($id: String!) { project(id: $id) { services { edges { node { id name } } } } }`

// listed returns the names of the project's services as the API lists them.
func (w *world) listed(t *testing.T) []string {
	t.Helper()
	r := gql(t, w.s, bearer(adminToken), servicesQ, map[string]any{"id": w.projectID}).ok(t)
	var names []string
	edges, _ := r.get("project", "services", "edges").([]any)
	for i := range edges {
		names = append(names, r.str("project", "services", "edges", i, "node", "name"))
	}
	return names
}

// TestServicesAppearWhenWorkflowCompletes: by default a template's service is
// listed only once its workflow completes, 12 s after templateDeployV2.
func TestServicesAppearWhenWorkflowCompletes(t *testing.T) {
	w := newWorld(t, Options{})
	deployTemplate(t, w, "Redis").ok(t)
	w.clock.Advance(DefaultWorkflowDuration - time.Millisecond)
	if got := w.listed(t); !slices.Equal(got, []string{"backend"}) {
		t.Fatalf("services before the workflow completed = %q, want backend only", got)
	}
	if _, ok := w.s.ServiceByName(w.projectID, "Redis"); ok {
		t.Fatal("ServiceByName sees the service before the workflow completed")
	}
	w.clock.Advance(time.Millisecond)
	if got := w.listed(t); !slices.Equal(got, []string{"backend", "Redis"}) {
		t.Fatalf("services after the workflow completed = %q", got)
	}
}

// TestDuplicateWhilePending: a second template deployment of the same name
// while the first is still running is accepted, and both services appear:
// the second one suffixed. This is the duplicate the reconciler must avoid.
func TestDuplicateWhilePending(t *testing.T) {
	w := newWorld(t, Options{WorkflowDuration: 20 * time.Second})
	deployTemplate(t, w, "Redis").ok(t)
	w.clock.Advance(5 * time.Second)
	deployTemplate(t, w, "Redis").ok(t)
	w.clock.Advance(15 * time.Second)
	if got := w.listed(t); !slices.Equal(got, []string{"backend", "Redis"}) {
		t.Fatalf("services = %q, want the first Redis only", got)
	}
	w.clock.Advance(5 * time.Second)
	if got := w.listed(t); !slices.Equal(got, []string{"backend", "Redis", "Redis-2"}) {
		t.Fatalf("services = %q, want both", got)
	}
}

// TestWorkflowNotFoundLag: workflowStatus answers NotFound for the first
// moments (default min(2s, duration/4)), configurable and removable.
func TestWorkflowNotFoundLag(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opts  Options
		lag   time.Duration
		total time.Duration
	}{
		{"default", Options{}, 2 * time.Second, DefaultWorkflowDuration},
		{"short workflow", Options{WorkflowDuration: 400 * time.Millisecond}, 100 * time.Millisecond, 400 * time.Millisecond},
		{"configured", Options{WorkflowNotFoundFor: 5 * time.Second}, 5 * time.Second, DefaultWorkflowDuration},
		{"none", Options{WorkflowNotFoundFor: -1}, 0, DefaultWorkflowDuration},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.opts)
			wf := deployTemplate(t, w, "Redis").ok(t).str("templateDeployV2", "workflowId")
			status := func() string {
				return gql(t, w.s, bearer(adminToken), workflowQuery, map[string]any{"id": wf}).ok(t).str("workflowStatus", "status")
			}
			if tt.lag > 0 {
				if got := status(); got != "NotFound" {
					t.Errorf("at once: %s, want NotFound", got)
				}
				w.clock.Advance(tt.lag - time.Millisecond)
				if got := status(); got != "NotFound" {
					t.Errorf("just before the lag ends: %s, want NotFound", got)
				}
				w.clock.Advance(time.Millisecond)
			}
			if got := status(); got != "Running" {
				t.Errorf("after the lag: %s, want Running", got)
			}
			w.clock.Advance(tt.total - tt.lag)
			if got := status(); got != "Complete" {
				t.Errorf("at the end: %s, want Complete", got)
			}
		})
	}
}

// TestExecuteThenFail: FailNextMutation makes a chosen mutation do its work
// and then answer 500, 502 or drop the connection; queries are untouched.
func TestExecuteThenFail(t *testing.T) {
	for _, tt := range []struct {
		kind   FaultKind
		status int // 0: dropped
	}{{FaultAfterExecute500, 500}, {FaultAfterExecute502, 502}, {FaultAfterExecuteDrop, 0}} {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			w := newWorld(t, Options{WorkflowDuration: time.Second})
			w.s.FailNextMutation("templateDeployV2", tt.kind)
			w.s.FailNextMutation("serviceInstanceDeployV2", tt.kind)
			gql(t, w.s, bearer(adminToken), servicesQ, map[string]any{"id": w.projectID}).ok(t) // a query: untouched
			w.upsert(t, w.backendID, map[string]any{"A": "1"}, true)                            // another mutation: untouched
			id, cfg := fetchTemplate(t, w, "Redis")
			r, err := tryGQL(t.Context(), w.s, bearer(adminToken), deployMut, map[string]any{"input": map[string]any{
				"projectId": w.projectID, "environmentId": w.envID, "templateId": id, "serializedConfig": cfg}})
			checkExecuteThenFail(t, r, err, tt.status)
			r, err = tryGQL(t.Context(), w.s, bearer(adminToken), deployMutation, map[string]any{"e": w.envID, "s": w.backendID})
			checkExecuteThenFail(t, r, err, tt.status)
			w.clock.Advance(time.Second)
			if _, ok := w.s.ServiceByName(w.projectID, "Redis"); !ok {
				t.Error("the template deployment was not executed")
			}
			if n := len(w.s.Deployments(w.envID, w.backendID)); n != 1 {
				t.Errorf("backend deployments = %d, want 1 (executed)", n)
			}
		})
	}
}

func checkExecuteThenFail(t *testing.T, r result, err error, status int) {
	t.Helper()
	switch {
	case status == 0 && err == nil:
		t.Errorf("want a dropped connection, got status %d", r.Status)
	case status != 0 && (err != nil || r.Status != status):
		t.Errorf("got %d, %v; want status %d", r.Status, err, status)
	}
}

// TestPrivateURLsAndTCPProxy: a template's Redis is private by default (its
// public URL has an empty host and port); a TCP proxy makes it public.
func TestPrivateURLsAndTCPProxy(t *testing.T) {
	w := newWorld(t, Options{})
	createAddon(t, w, "Redis")
	id, _ := w.s.ServiceByName(w.projectID, "Redis")
	vars := w.s.RenderedVariables(w.envID, id)
	pw := vars["REDIS_PASSWORD"]
	if got, want := vars["REDIS_PUBLIC_URL"], "redis://default:"+pw+"@:"; got != want {
		t.Errorf("REDIS_PUBLIC_URL = %q, want %q", got, want)
	}
	if got, want := vars["REDIS_URL"], "redis://default:"+pw+"@redis.railway.internal:6379"; got != want {
		t.Errorf("REDIS_URL = %q, want %q", got, want)
	}
	const proxiesQ = `query($e: String!, $s: String!) { tcpProxies(environmentId: $e, serviceId: $s) { domain proxyPort applicationPort } }`
	args := map[string]any{"e": w.envID, "s": id}
	if r := gql(t, w.s, bearer(adminToken), proxiesQ, args).ok(t); r.get("tcpProxies", 0) != nil {
		t.Errorf("tcpProxies = %s, want none", r.Body)
	}
	w.s.AddTCPProxy(w.envID, id, "127.0.0.1", 16379, 0)
	if got, want := w.s.RenderedVariables(w.envID, id)["REDIS_PUBLIC_URL"], "redis://default:"+pw+"@127.0.0.1:16379"; got != want {
		t.Errorf("REDIS_PUBLIC_URL with a proxy = %q, want %q", got, want)
	}
	if r := gql(t, w.s, bearer(adminToken), proxiesQ, args).ok(t); r.str("tcpProxies", 0, "domain") != "127.0.0.1" {
		t.Errorf("tcpProxies = %s", r.Body)
	}
}

// TestEdgeBlock: during BlockAtEdge every request gets Cloudflare's 1015
// answer (429, no Retry-After, no X-RateLimit-*) and nothing is executed.
func TestEdgeBlock(t *testing.T) {
	w := newWorld(t, Options{})
	w.s.BlockAtEdge(time.Minute)
	r := gql(t, w.s, bearer(adminToken), deployMutation, map[string]any{"e": w.envID, "s": w.backendID})
	if r.Status != http.StatusTooManyRequests || string(r.Body) != "error code: 1015" {
		t.Fatalf("answer %d %q", r.Status, r.Body)
	}
	for _, h := range []string{"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if v := r.Header.Get(h); v != "" {
			t.Errorf("%s: %q, want none", h, v)
		}
	}
	if len(w.s.Deployments(w.envID, w.backendID)) != 0 {
		t.Error("a blocked mutation was executed")
	}
	w.clock.Advance(time.Minute)
	gql(t, w.s, bearer(adminToken), deployMutation, map[string]any{"e": w.envID, "s": w.backendID}).ok(t)
	w.s.BlockAtEdge(0) // until lifted
	w.clock.Advance(24 * time.Hour)
	if r := gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil); r.Status != http.StatusTooManyRequests {
		t.Errorf("status %d during an open-ended block", r.Status)
	}
	w.s.UnblockEdge()
	gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil).ok(t)
	if reqs := w.s.Requests(); len(reqs) != 4 || !reqs[0].Faulted || reqs[0].Status != 429 {
		t.Errorf("request log = %+v", reqs)
	}
}

// TestOutage: StartOutage answers 503 to everything, for a period or until
// EndOutage.
func TestOutage(t *testing.T) {
	w := newWorld(t, Options{})
	w.s.StartOutage(30 * time.Second)
	if r := gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", r.Status)
	}
	w.clock.Advance(30 * time.Second)
	gql(t, w.s, anonymous(), `{ template(code: "redis") { id } }`, nil).ok(t)
	w.s.StartOutage(0)
	w.clock.Advance(time.Hour)
	if r := gql(t, w.s, bearer(adminToken), deployMutation, map[string]any{"e": w.envID, "s": w.backendID}); r.Status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", r.Status)
	}
	w.s.EndOutage()
	gql(t, w.s, bearer(adminToken), deployMutation, map[string]any{"e": w.envID, "s": w.backendID}).ok(t)
	if n := len(w.s.Deployments(w.envID, w.backendID)); n != 1 {
		t.Errorf("deployments = %d, want 1 (the outage executed nothing)", n)
	}
}

// TestProjectTokenCannotDeployTemplate: a project token is bound to one
// environment and refused templateDeployV2, unless the option allows it.
func TestProjectTokenCannotDeployTemplate(t *testing.T) {
	for _, allow := range []bool{false, true} {
		w := newWorld(t, Options{ProjectTokensCanCreate: allow})
		w.s.AddToken("proj", ProjectToken, w.projectID, w.envID)
		r := gql(t, w.s, projectTok("proj"), `{ projectToken { projectId environmentId } }`, nil).ok(t)
		if r.str("projectToken", "projectId") != w.projectID || r.str("projectToken", "environmentId") != w.envID {
			t.Errorf("projectToken = %s", r.Body)
		}
		id, cfg := fetchTemplate(t, w, "Redis")
		r = gql(t, w.s, projectTok("proj"), deployMut, map[string]any{"input": map[string]any{
			"projectId": w.projectID, "environmentId": w.envID, "templateId": id, "serializedConfig": cfg}})
		if want := map[bool]string{false: "Not Authorized", true: ""}[allow]; r.errMessage() != want {
			t.Errorf("allow=%v: templateDeployV2 error %q, want %q", allow, r.errMessage(), want)
		}
		gql(t, w.s, projectTok("proj"), deployMutation, map[string]any{"e": w.envID, "s": w.backendID}).ok(t) // deploys work
	}
}

// TestMeRefusedForWorkspaceTokens: `me` answers account tokens only.
func TestMeRefusedForWorkspaceTokens(t *testing.T) {
	w := newWorld(t, Options{})
	w.s.AddWorkspaceToken("ws")
	w.s.AddToken("ws-scoped", BearerToken, w.projectID, "")
	w.s.AddToken("proj", ProjectToken, w.projectID, w.envID)
	for tok, want := range map[cred]string{
		bearer(adminToken): "", bearer("ws"): "Not Authorized", bearer("ws-scoped"): "Not Authorized", projectTok("proj"): "Not Authorized",
	} {
		if r := gql(t, w.s, tok, `{ me { id name } }`, nil); r.errMessage() != want {
			t.Errorf("%s: me error %q, want %q", tok.value, r.errMessage(), want)
		}
	}
	gql(t, w.s, bearer("ws"), `{ apiToken { workspaces { id name } } }`, nil).ok(t)
	gql(t, w.s, bearer("ws"), `query($id: String!) { project(id: $id) { id } }`, map[string]any{"id": w.projectID}).ok(t)
}

// TestRequestsByInstance: every request is attributed to the instance named
// by X-Reconciler-Instance or the User-Agent.
func TestRequestsByInstance(t *testing.T) {
	w := newWorld(t, Options{})
	send := func(headers map[string]string, query string, vars map[string]any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, w.s.URL(), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+adminToken)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	q, m := servicesQ, deployMutation
	qv, mv := map[string]any{"id": w.projectID}, map[string]any{"e": w.envID, "s": w.backendID}
	send(map[string]string{"X-Reconciler-Instance": "a"}, q, qv)
	send(map[string]string{"X-Reconciler-Instance": "a"}, m, mv)
	send(map[string]string{"User-Agent": "reconciler/1.2 (instance b)"}, m, mv)
	w.s.BlockAtEdge(time.Minute)
	send(map[string]string{"User-Agent": "reconciler/1.2 (instance b)"}, m, mv)
	send(nil, q, qv)
	if got := w.s.RequestsByInstance(); got["a"] != 2 || got["b"] != 2 || got[""] != 1 {
		t.Errorf("requests by instance = %v", got)
	}
	if got := w.s.MutationsByInstance(); got["a"] != 1 || got["b"] != 2 {
		t.Errorf("mutations by instance = %v", got)
	}
	if got := w.s.MutationsExecutedByInstance(); got["a"] != 1 || got["b"] != 1 {
		t.Errorf("executed mutations by instance = %v", got)
	}
}

// TestLogFilterValidated: an unbalanced filter is refused.
func TestLogFilterValidated(t *testing.T) {
	w := newWorld(t, Options{})
	dep := w.deploy(t)
	const logsQ = `query($id: String!, $f: String) { deploymentLogs(deploymentId: $id, limit: 1, filter: $f) { message } }`
	for f, want := range map[string]string{`"Redis pool connected"`: "", `@level:error`: "", `"oops`: "Invalid log filter", `(a OR b`: "Invalid log filter"} {
		if r := gql(t, w.s, bearer(adminToken), logsQ, map[string]any{"id": dep, "f": f}); r.errMessage() != want {
			t.Errorf("filter %s: error %q, want %q", f, r.errMessage(), want)
		}
	}
}
