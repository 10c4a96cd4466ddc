package railwaytest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func TestSchemaInvalidDocumentIsRejectedAndRecorded(t *testing.T) {
	requireSchema(t)
	var mu sync.Mutex
	var seen []string
	s := newRaw(t, Options{OnInvalid: func(p string) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, p)
	}})
	s.AddToken(adminToken, BearerToken, "", "")

	tests := []struct {
		name, query string
		vars        map[string]any
		wantCode    string
	}{
		{"unknown field", `query Bad { project(id: "x") { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"missing argument", `query NoArg { deployment { id } }`, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"syntax", `query Broken { project(id: "x") { id `, nil, "GRAPHQL_VALIDATION_FAILED"},
		{"variable type", `query V($n: Int) { deploymentLogs(deploymentId: "d", limit: $n) { message } }`,
			map[string]any{"n": "ten"}, "BAD_USER_INPUT"},
		{"missing variable", `query M($id: String!) { deployment(id: $id) { id } }`, nil, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gql(t, s, bearer(adminToken), tt.query, tt.vars)
			if r.Status != http.StatusBadRequest || len(r.Errors) == 0 {
				t.Fatalf("status %d body %s, want 400 with errors", r.Status, r.Body)
			}
			if code := r.Errors[0].Extensions["code"]; code != tt.wantCode {
				t.Errorf("code %v, want %s", code, tt.wantCode)
			}
			if _, hasData := r.Data["project"]; hasData {
				t.Errorf("invalid document was executed: %s", r.Body)
			}
		})
	}
	if got := len(s.InvalidRequests()); got != len(tests) {
		t.Errorf("InvalidRequests() has %d entries, want %d: %q", got, len(tests), s.InvalidRequests())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(tests) || !strings.HasPrefix(seen[0], "Bad: ") {
		t.Errorf("OnInvalid saw %q", seen)
	}
}

func TestBatchedObservationWithAliases(t *testing.T) {
	w := newWorld(t, Options{})
	workerID := w.s.AddService(w.projectID, "worker", "ghcr.io/smartlic/worker:1")
	w.s.SetVariables(w.envID, w.backendID, map[string]string{"REDIS_URL": "${{Redis.REDIS_URL}}"})
	w.s.SetVariables(w.envID, workerID, map[string]string{"QUEUE": "jobs"})
	w.s.Deploy(w.envID, w.backendID)

	const q = `query Observe($env: String!, $project: String!, $backend: String!, $worker: String!) {
	  environment(id: $env, projectId: $project) {
	    id name
	    serviceInstances { edges { node {
	      serviceId serviceName environmentId
	      source { image repo }
	      latestDeployment { id status createdAt statusUpdatedAt serviceId }
	    } } }
	  }
	  backend: variables(projectId: $project, environmentId: $env, serviceId: $backend, unrendered: true)
	  worker: variables(projectId: $project, environmentId: $env, serviceId: $worker, unrendered: true)
	}`
	r := gql(t, w.s, bearer(adminToken), q, map[string]any{
		"env": w.envID, "project": w.projectID, "backend": w.backendID, "worker": workerID,
	}).ok(t)
	if got := r.str("backend", "REDIS_URL"); got != "${{Redis.REDIS_URL}}" {
		t.Errorf("backend REDIS_URL = %q", got)
	}
	if got := r.str("worker", "QUEUE"); got != "jobs" {
		t.Errorf("worker QUEUE = %q", got)
	}
	node := []any{"environment", "serviceInstances", "edges", 0, "node"}
	if got := r.str(append(node, "serviceName")...); got != "backend" {
		t.Errorf("first instance = %q", got)
	}
	if got := r.str(append(node, "latestDeployment", "status")...); got != "INITIALIZING" {
		t.Errorf("latest deployment status = %q", got)
	}
	if got := r.get("environment", "serviceInstances", "edges", 1, "node", "latestDeployment"); got != nil {
		t.Errorf("worker latestDeployment = %v, want null", got)
	}
	// Keys come back in selection order.
	if !strings.HasPrefix(string(r.Body), `{"data":{"environment":{"id":`) {
		t.Errorf("body not in selection order: %.80s", r.Body)
	}
	reqs := w.s.Requests()
	if len(reqs) != 1 || !slices.Equal(reqs[0].Fields, []string{"environment", "variables", "variables"}) {
		t.Fatalf("requests = %+v", reqs)
	}
	if reqs[0].OperationName != "Observe" || reqs[0].Mutation || reqs[0].UserAgent != "reconciler/test" || reqs[0].Variables["worker"] != workerID {
		t.Errorf("request record = %+v", reqs[0])
	}
}

func TestFragmentsTypenameAndDirectives(t *testing.T) {
	w := newWorld(t, Options{})
	const q = `query P($id: String!, $skip: Boolean!) {
	  project(id: $id) {
	    __typename
	    ...Names
	    environments { edges { node { ... on Environment { id name __typename } } } }
	    services @skip(if: $skip) { edges { node { id } } }
	    me: name @include(if: $skip)
	  }
	}
	fragment Names on Project { id name }`
	r := gql(t, w.s, bearer(adminToken), q, map[string]any{"id": w.projectID, "skip": true}).ok(t)
	if r.str("project", "__typename") != "Project" || r.str("project", "name") != "smartlic" || r.str("project", "me") != "smartlic" {
		t.Errorf("project = %v", r.get("project"))
	}
	if got := r.str("project", "environments", "edges", 0, "node", "name"); got != "production" {
		t.Errorf("environment name = %q", got)
	}
	if got := r.str("project", "environments", "edges", 0, "node", "__typename"); got != "Environment" {
		t.Errorf("environment __typename = %q", got)
	}
	if _, present := r.get("project").(map[string]any)["services"]; present {
		t.Error("@skip(if: true) field present")
	}
}

func TestUnsupportedFieldsAreErrorsAndRecorded(t *testing.T) {
	s := newRaw(t, Options{})
	s.AddToken(adminToken, BearerToken, "", "")
	pid, _ := s.CreateProject("p")
	r := gql(t, s, bearer(adminToken), `{ projects { edges { node { id } } } }`, nil)
	if r.Status != http.StatusOK || r.errMessage() != "simulator: unsupported field projects" || r.Data != nil {
		t.Errorf("root: status %d body %s", r.Status, r.Body)
	}
	r = gql(t, s, bearer(adminToken), `query($id: String!) { project(id: $id) { id subscriptionType } }`, map[string]any{"id": pid})
	if r.errMessage() != "simulator: unsupported field Project.subscriptionType" {
		t.Errorf("nested: body %s", r.Body)
	}
	want := []string{"unsupported field Query.projects", "unsupported field Project.subscriptionType"}
	if got := s.Unsupported(); !slices.Equal(got, want) {
		t.Errorf("Unsupported() = %q, want %q", got, want)
	}
}

func TestPagination(t *testing.T) {
	w := newWorld(t, Options{MaxPageSize: 1})
	w.s.AddService(w.projectID, "worker", "img")
	const q = `query($id: String!, $after: String) { project(id: $id) {
	  services(first: 10, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } } }`
	var names []string
	var after any
	for range 5 {
		r := gql(t, w.s, bearer(adminToken), q, map[string]any{"id": w.projectID, "after": after}).ok(t)
		names = append(names, r.str("project", "services", "edges", 0, "node", "name"))
		if r.get("project", "services", "pageInfo", "hasNextPage") != true {
			break
		}
		after = r.get("project", "services", "pageInfo", "endCursor")
	}
	if !slices.Equal(names, []string{"backend", "worker"}) {
		t.Errorf("pages = %q", names)
	}
}

// TestExecutorWithoutSchema runs the executor on a document that was only
// parsed, as when Railway's schema is absent.
func TestExecutorWithoutSchema(t *testing.T) {
	doc, err := parser.ParseQuery(&ast.Source{Input: `query { a: thing(n: 2) { __typename ...F ... on Other { never } } }
	  fragment F on Thing { id list(first: 1) { x } }`})
	if err != nil {
		t.Fatal(err)
	}
	ex := &executor{doc: doc, vars: map[string]any{}}
	data, errs := ex.execute(doc.Operations[0], func(name string, args map[string]any) (any, error) {
		n, _ := argInt(args, "n")
		return map[string]any{typenameKey: "Thing", "id": name, "list": lazy(func(a map[string]any) (any, error) {
			first, _ := argInt(a, "first")
			return []map[string]any{{"x": n * 10}, {"x": first}}[:first], nil
		})}, nil
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	b, _ := json.Marshal(data)
	if want := `{"a":{"__typename":"Thing","id":"thing","list":[{"x":20}]}}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestMutationsRunSeriallyAndStopAtANullingError(t *testing.T) {
	w := newWorld(t, Options{})
	r := gql(t, w.s, bearer(adminToken), `mutation($e: String!, $s: String!) {
	  a: serviceInstanceDeployV2(environmentId: $e, serviceId: "nope")
	  b: serviceInstanceDeployV2(environmentId: $e, serviceId: $s)
	}`, map[string]any{"e": w.envID, "s": w.backendID})
	if r.Data != nil || len(r.Errors) != 1 || r.errMessage() != "Service not found" || r.Errors[0].Path[0] != "a" {
		t.Errorf("body %s", r.Body)
	}
	if n := len(w.s.Deployments(w.envID, w.backendID)); n != 0 {
		t.Errorf("the field after the failed one ran: %d deployments", n)
	}
	r = gql(t, w.s, bearer(adminToken), `mutation($e: String!, $s: String!) {
	  a: serviceInstanceDeployV2(environmentId: $e, serviceId: $s)
	  b: serviceInstanceDeployV2(environmentId: $e, serviceId: $s)
	}`, map[string]any{"e": w.envID, "s": w.backendID}).ok(t)
	if r.str("a") == "" || r.str("a") == r.str("b") {
		t.Errorf("body %s", r.Body)
	}
}
