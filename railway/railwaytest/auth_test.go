package railwaytest

import (
	"net/http"
	"testing"
)

func TestAuthLikeRailway(t *testing.T) {
	w := newWorld(t, Options{})
	otherPID, otherEnv := w.s.CreateProject("other")
	stagingID := w.s.AddEnvironment(w.projectID, "staging")
	w.s.AddToken("scoped", BearerToken, otherPID, "")
	w.s.AddToken("proj", ProjectToken, w.projectID, w.envID)

	const projectQ = `query($id: String!) { project(id: $id) { id name } }`
	const envQ = `query($id: String!) { environment(id: $id) { id name } }`
	tests := []struct {
		name    string
		cred    cred
		query   string
		vars    map[string]any
		wantErr string
	}{
		{"no token", anonymous(), projectQ, map[string]any{"id": w.projectID}, "Not Authorized"},
		{"unknown bearer", bearer("nope"), projectQ, map[string]any{"id": w.projectID}, "Not Authorized"},
		{"malformed authorization", cred{"Authorization", adminToken}, projectQ, map[string]any{"id": w.projectID}, "Not Authorized"},
		{"unknown project token", projectTok("nope"), projectQ, map[string]any{"id": w.projectID}, "Project Token not found"},
		{"bearer scoped to another project", bearer("scoped"), projectQ, map[string]any{"id": w.projectID}, "Not Authorized"},
		{"bearer scoped, own project", bearer("scoped"), projectQ, map[string]any{"id": otherPID}, ""},
		{"project token, own env", projectTok("proj"), envQ, map[string]any{"id": w.envID}, ""},
		{"project token, other env", projectTok("proj"), envQ, map[string]any{"id": stagingID}, "Not Authorized"},
		{"project token, other project", projectTok("proj"), envQ, map[string]any{"id": otherEnv}, "Not Authorized"},
		{"project not found", bearer(adminToken), projectQ, map[string]any{"id": "nope"}, "Project not found"},
		{"template without auth", anonymous(), `{ template(code: "redis") { id } }`, nil, ""},
		{"apiToken", bearer(adminToken), `{ apiToken { workspaces { id name } } }`, nil, ""},
		{"apiToken, project token", projectTok("proj"), `{ apiToken { workspaces { id } } }`, nil, "Not Authorized"},
		{"projectToken", projectTok("proj"), `{ projectToken { projectId environmentId project { id name } environment { id name } } }`, nil, ""},
		{"projectToken, bearer", bearer(adminToken), `{ projectToken { projectId } }`, nil, "Project Token not found"},
		{"me", bearer(adminToken), `{ me { id email } }`, nil, ""},
		{"mutation without auth", anonymous(), deployMutation, map[string]any{"e": w.envID, "s": w.backendID}, "Not Authorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gql(t, w.s, tt.cred, tt.query, tt.vars)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d, want 200", r.Status)
			}
			if r.errMessage() != tt.wantErr {
				t.Fatalf("error %q, want %q (body %s)", r.errMessage(), tt.wantErr, r.Body)
			}
			if tt.wantErr != "" && (r.Data != nil || string(r.Body[:12]) != `{"data":null`) {
				t.Errorf("data not null: %s", r.Body)
			}
		})
	}

	r := gql(t, w.s, projectTok("proj"), `{ projectToken { projectId environmentId project { name } environment { name } } }`, nil).ok(t)
	if r.str("projectToken", "projectId") != w.projectID || r.str("projectToken", "environment", "name") != "production" {
		t.Errorf("projectToken = %s", r.Body)
	}
	r = gql(t, w.s, bearer(adminToken), `{ apiToken { workspaces { id name } } }`, nil).ok(t)
	if r.str("apiToken", "workspaces", 0, "name") != WorkspaceName {
		t.Errorf("apiToken = %s", r.Body)
	}
	if len(w.s.Deployments(w.envID, w.backendID)) != 0 {
		t.Error("an unauthorized mutation deployed")
	}
}
