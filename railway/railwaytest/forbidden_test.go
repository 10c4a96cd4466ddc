package railwaytest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestForbiddenOperationsAreRecorded(t *testing.T) {
	w := newWorld(t, Options{ExpectForbidden: true})
	w.s.SetVariables(w.envID, w.backendID, map[string]string{"KEEP": "1", "REDIS_URL": "x"})
	dep := w.s.Deploy(w.envID, w.backendID)
	vars := map[string]any{"p": w.projectID, "e": w.envID, "s": w.backendID, "d": dep}
	ops := []struct{ doc, want string }{
		{`mutation($p: String!, $e: String!, $s: String!) { variableDelete(input: {projectId: $p, environmentId: $e, serviceId: $s, name: "REDIS_URL"}) }`, "variableDelete(REDIS_URL)"},
		{`mutation($d: String!) { deploymentRollback(id: $d) }`, "deploymentRollback(" + dep + ")"},
		{`mutation($d: String!) { deploymentRemove(id: $d) }`, "deploymentRemove(" + dep + ")"},
		{`mutation { volumeDelete(volumeId: "v1") }`, "volumeDelete(v1)"},
		{`mutation($e: String!) { environmentDelete(id: $e) }`, "environmentDelete(" + w.envID + ")"},
		{`mutation($p: String!) { projectDelete(id: $p) }`, "projectDelete(" + w.projectID + ")"},
		{`mutation($p: String!, $e: String!, $s: String!) { variableCollectionUpsert(input: {projectId: $p, environmentId: $e, serviceId: $s, variables: {A: "1"}, replace: true, skipDeploys: true}) }`,
			"variableCollectionUpsert(replace: true)"},
		{`mutation($s: String!) { serviceDelete(id: $s) }`, "serviceDelete(" + w.backendID + ")"},
	}
	var want []string
	for _, op := range ops {
		used := map[string]any{}
		for k, v := range vars {
			if strings.Contains(op.doc, "$"+k+":") {
				used[k] = v
			}
		}
		gql(t, w.s, bearer(adminToken), op.doc, used).ok(t)
		want = append(want, op.want)
	}
	if got := w.s.Forbidden(); !slices.Equal(got, want) {
		t.Errorf("Forbidden() = %q\nwant %q", got, want)
	}
	if _, ok := w.s.ServiceByName(w.projectID, "backend"); ok {
		t.Error("serviceDelete did not delete")
	}
	w.s.ResetLog()
	if len(w.s.Forbidden()) != 0 || w.s.RequestCount() != 0 || w.s.MutationCount() != 0 {
		t.Error("ResetLog kept records")
	}
}

func TestReplaceTrueReplaces(t *testing.T) {
	w := newWorld(t, Options{ExpectForbidden: true})
	w.s.SetVariables(w.envID, w.backendID, map[string]string{"KEEP": "1"})
	w.upsert(t, w.backendID, map[string]any{"A": "1"}, true) // replace: false (default) is allowed
	if len(w.s.Forbidden()) != 0 {
		t.Fatalf("plain upsert recorded: %q", w.s.Forbidden())
	}
	gql(t, w.s, bearer(adminToken), upsertMutation, map[string]any{"in": map[string]any{
		"projectId": w.projectID, "environmentId": w.envID, "serviceId": w.backendID,
		"variables": map[string]any{"B": "2"}, "replace": true, "skipDeploys": true,
	}}).ok(t)
	if got := w.s.Variables(w.envID, w.backendID); len(got) != 1 || got["B"] != "2" {
		t.Errorf("after replace: %v", got)
	}
	if got := w.s.Forbidden(); !slices.Equal(got, []string{"variableCollectionUpsert(replace: true)"}) {
		t.Errorf("Forbidden() = %q", got)
	}
}

func TestConcurrentRequestsAndCounts(t *testing.T) {
	w := newWorld(t, Options{ExpectForbidden: true})
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			in := map[string]any{"projectId": w.projectID, "environmentId": w.envID, "serviceId": w.backendID,
				"variables": map[string]any{fmt.Sprintf("K%d", i): "v"}, "skipDeploys": i%2 == 0}
			for _, req := range []struct {
				doc  string
				vars map[string]any
			}{
				{upsertMutation, map[string]any{"in": in}},
				{`query($p: String!, $e: String!, $s: String) { variables(projectId: $p, environmentId: $e, serviceId: $s) }`,
					map[string]any{"p": w.projectID, "e": w.envID, "s": w.backendID}},
			} {
				if r, err := tryGQL(t.Context(), w.s, bearer(adminToken), req.doc, req.vars); err != nil || r.Status != 200 || len(r.Errors) > 0 {
					t.Errorf("request: %v %s", err, r.Body)
				}
			}
		})
	}
	wg.Wait()
	if got := len(w.s.Variables(w.envID, w.backendID)); got != n {
		t.Errorf("%d variables, want %d", got, n)
	}
	if got := len(w.s.Deployments(w.envID, w.backendID)); got != n/2 {
		t.Errorf("%d deployments, want %d", got, n/2)
	}
	if w.s.RequestCount() != 2*n || w.s.MutationCount() != n {
		t.Errorf("requests %d mutations %d", w.s.RequestCount(), w.s.MutationCount())
	}
}

func TestForbiddenIsRecordedEvenWhenRefused(t *testing.T) {
	w := newWorld(t, Options{ExpectForbidden: true})
	w.s.FailNextRequests(Fault500, 1)
	r := gql(t, w.s, bearer(adminToken), `mutation { deploymentRollback(id: "d1") }`, nil)
	if r.Status != 500 {
		t.Fatalf("status %d", r.Status)
	}
	if r := gql(t, w.s, anonymous(), `mutation { serviceDelete(id: "s1") }`, nil); r.errMessage() != "Not Authorized" {
		t.Fatalf("body %s", r.Body)
	}
	if got := w.s.Forbidden(); !slices.Equal(got, []string{"deploymentRollback(d1)", "serviceDelete(s1)"}) {
		t.Errorf("Forbidden() = %q", got)
	}
}
