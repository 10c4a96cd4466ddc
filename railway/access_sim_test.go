package railway_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// TestSimProjectTokenEnvironmentMismatch: a project token of staging
// checked against production fails, naming both environments by name and
// id, as a permanent scope error; against its own environment (by name or
// id) it passes in one request.
func TestSimProjectTokenEnvironmentMismatch(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	staging := w.sim.AddEnvironment(w.projectID, "staging")
	w.sim.AddToken("ptok-staging", railwaytest.ProjectToken, w.projectID, staging)
	c := newTestClient(t, w.sim.URL(), w.clock, func(o *railway.Options) {
		o.Credentials = railway.NewCredentials(railway.ProjectToken, "", "ptok-staging")
	})
	for _, env := range []string{"staging", staging, ""} {
		w.sim.ResetLog()
		if err := c.CheckAccessTo(t.Context(), w.projectID, env); err != nil {
			t.Errorf("own environment %q: %v", env, err)
		}
		if n := w.sim.RequestCount(); n != 1 {
			t.Errorf("own environment %q: %d requests, want 1", env, n)
		}
	}
	for _, env := range []string{"production", w.envID} {
		err := c.CheckAccessTo(t.Context(), w.projectID, env)
		if !errors.Is(err, railway.ErrTokenScope) || !errors.Is(err, railway.ErrUnauthorized) || !railway.IsPermanent(err) {
			t.Fatalf("err = %v, want a permanent ErrTokenScope", err)
		}
		for _, want := range []string{"RAILWAY_TOKEN", `"staging"`, staging, `"production"`, w.envID} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not name %s", err, want)
			}
		}
		if strings.Contains(err.Error(), "ptok-staging") {
			t.Error("the token leaked into the message")
		}
	}
	if err := c.CheckAccess(t.Context(), w.projectID); err != nil { // the old check: project only
		t.Errorf("CheckAccess: %v", err)
	}
}

// TestSimBearerUnknownEnvironment: a Bearer token's check of an environment
// the project lacks is a permanent not-found error listing what exists.
func TestSimBearerUnknownEnvironment(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	if err := w.c.CheckAccessTo(t.Context(), w.projectID, "production"); err != nil {
		t.Fatal(err)
	}
	err := w.c.CheckAccessTo(t.Context(), w.projectID, "prod")
	if !errors.Is(err, railway.ErrNotFound) || !railway.IsPermanent(err) || !strings.Contains(err.Error(), `"prod" not found`) ||
		!strings.Contains(err.Error(), `"production"`) {
		t.Errorf("err = %v", err)
	}
}

// TestSimTemplateDeployWithProjectToken: Railway refuses templateDeployV2
// for a project token; the client says what token is needed, as a
// permanent ErrProjectTokenCannotCreate, after one request.
func TestSimTemplateDeployWithProjectToken(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	w.sim.AddToken("ptok", railwaytest.ProjectToken, w.projectID, w.envID)
	c := newTestClient(t, w.sim.URL(), w.clock, func(o *railway.Options) {
		o.Credentials = railway.NewCredentials(railway.ProjectToken, "", "ptok")
	})
	tpl, err := c.Template(t.Context(), "redis")
	if err != nil {
		t.Fatal(err)
	}
	w.sim.ResetLog()
	_, err = c.DeployTemplate(t.Context(), railway.TemplateDeploy{ProjectID: w.projectID, EnvironmentID: w.envID, Template: tpl, ServiceName: "Cache"})
	if !errors.Is(err, railway.ErrProjectTokenCannotCreate) || !errors.Is(err, railway.ErrUnauthorized) || !railway.IsPermanent(err) {
		t.Fatalf("err = %v, want ErrProjectTokenCannotCreate", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "workspace or account token in RAILWAY_API_TOKEN") || !strings.Contains(msg, "Not Authorized") {
		t.Errorf("message = %q", msg)
	}
	if n := w.sim.RequestCount(); n != 1 {
		t.Errorf("requests = %d, want 1 (not retried)", n)
	}
	if _, err := c.DeployService(t.Context(), w.envID, w.backendID); err != nil {
		t.Errorf("a project token can still deploy: %v", err)
	}
	// A Bearer token refused the same way is a plain ErrUnauthorized.
	if err := bearerRefused(t, w, tpl); errors.Is(err, railway.ErrProjectTokenCannotCreate) || !errors.Is(err, railway.ErrUnauthorized) {
		t.Errorf("bearer err = %v", err)
	}
}

func bearerRefused(t *testing.T, w *simWorld, tpl *railway.Template) error {
	t.Helper()
	other, otherEnv := w.sim.CreateProject("other")
	w.sim.AddToken("scoped-elsewhere", railwaytest.BearerToken, w.projectID, "")
	c := newTestClient(t, w.sim.URL(), w.clock, func(o *railway.Options) {
		o.Credentials = railway.NewCredentials(railway.BearerToken, "", "scoped-elsewhere")
	})
	_, err := c.DeployTemplate(t.Context(), railway.TemplateDeploy{ProjectID: other, EnvironmentID: otherEnv, Template: tpl, ServiceName: "Redis"})
	return err
}

// TestSimWhoami tells account, workspace and project tokens apart, and
// rejects an unknown one.
func TestSimWhoami(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	w.sim.AddWorkspaceToken("ws")
	w.sim.AddToken("ptok", railwaytest.ProjectToken, w.projectID, w.envID)
	for _, tt := range []struct {
		name  string
		creds railway.Credentials
		scope railway.TokenScope
		desc  string
		reqs  int
	}{
		{"account", railway.NewCredentials(railway.BearerToken, "", simToken), railway.ScopeAccount, `account token in RAILWAY_API_TOKEN (workspaces: "Simulated Workspace")`, 2},
		{"workspace", railway.NewCredentials(railway.BearerToken, "", "ws"), railway.ScopeWorkspace, `workspace token in RAILWAY_API_TOKEN (workspaces: "Simulated Workspace")`, 2},
		{"project", railway.NewCredentials(railway.ProjectToken, "", "ptok"), railway.ScopeProject,
			`project token in RAILWAY_TOKEN (project "smartlic" ` + w.projectID + `, environment "production" ` + w.envID + `)`, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, w.sim.URL(), w.clock, func(o *railway.Options) { o.Credentials = tt.creds; o.Instance = tt.name })
			info, err := c.Whoami(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if info.Scope != tt.scope || info.Describe() != tt.desc {
				t.Errorf("scope %s, %q\nwant %s, %q", info.Scope, info.Describe(), tt.scope, tt.desc)
			}
			if n := w.sim.RequestsByInstance()[tt.name]; n != tt.reqs {
				t.Errorf("requests = %d, want %d", n, tt.reqs)
			}
		})
	}
	c := newTestClient(t, w.sim.URL(), w.clock, func(o *railway.Options) {
		o.Credentials = railway.NewCredentials(railway.BearerToken, "", "revoked")
	})
	if _, err := c.Whoami(t.Context()); !errors.Is(err, railway.ErrUnauthorized) || err.Error() != "RAILWAY_API_TOKEN was rejected by Railway: Not Authorized" {
		t.Errorf("revoked token: %v", err)
	}
}

// TestSimObserveAll reads every service with its image and raw variables
// in two requests, which is what `init` needs to find Redis and the
// services that reference it.
func TestSimObserveAll(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	worker := w.sim.AddService(w.projectID, "worker", "ghcr.io/smartlic/worker:1")
	w.sim.SetVariables(w.envID, worker, map[string]string{"CACHE": "redis://${{Redis.REDISHOST}}:${{ Redis.REDISPORT }}/1", "X": "${{shared.Y}}"})
	obs, err := w.c.ObserveAll(t.Context(), w.projectID, w.envID)
	if err != nil {
		t.Fatal(err)
	}
	if n := w.sim.RequestCount(); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
	var redis []string
	referencing := map[string][]railway.Reference{}
	for _, in := range obs.Instances {
		if railway.IsRedisImage(in.Image) {
			redis = append(redis, in.ServiceName)
		}
		for _, v := range obs.Variables[in.ServiceID] {
			referencing[in.ServiceName] = append(referencing[in.ServiceName], railway.ServiceReferences(v)...)
		}
	}
	if len(redis) != 1 || redis[0] != "Redis" || len(obs.Variables) != 3 {
		t.Errorf("redis services %v, variables of %d services", redis, len(obs.Variables))
	}
	if r := referencing["backend"]; len(r) != 1 || r[0] != (railway.Reference{Service: "Redis", Variable: "REDIS_URL"}) {
		t.Errorf("backend references %v", r)
	}
	if r := referencing["worker"]; len(r) != 2 || r[1] != (railway.Reference{Service: "Redis", Variable: "REDISPORT"}) {
		t.Errorf("worker references %v", r)
	}
}

// TestSimCheckLogFilter: an accepted filter is nil, a refused one is
// Railway's answer, in one request each.
func TestSimCheckLogFilter(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{}, nil)
	if err := w.c.CheckLogFilter(t.Context(), w.backendDeploymentID, `"Redis pool connected"`); err != nil {
		t.Errorf("good filter: %v", err)
	}
	var gql *railway.GraphQLError
	if err := w.c.CheckLogFilter(t.Context(), w.backendDeploymentID, `"unbalanced`); !errors.As(err, &gql) {
		t.Errorf("bad filter: %v", err)
	}
	if n := w.sim.RequestCount(); n != 2 {
		t.Errorf("requests = %d, want 2", n)
	}
}

func TestIsRedisImage(t *testing.T) {
	t.Parallel()
	for image, want := range map[string]bool{
		"redis": true, "redis:7": true, "ghcr.io/railwayapp-templates/redis:8": true, "bitnami/redis:7.2": true,
		"railwayapp/redis:8.2": true, "valkey/valkey:8": true, "redis/redis-stack-server:latest": true,
		"redis@sha256:abc": true, "REDIS:7": true,
		"": false, "rediscommander/redis-commander": false, "oliver006/redis_exporter": false, "postgres:16": false,
		"ghcr.io/smartlic/backend:latest": false, "redis-commander:1": false, "myredis:1": false,
	} {
		if got := railway.IsRedisImage(image); got != want {
			t.Errorf("IsRedisImage(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestServiceReferences(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]string{
		"${{Redis.REDIS_URL}}":                                "Redis.REDIS_URL",
		"redis://${{ Cache.REDISHOST }}:${{Cache.REDISPORT}}": "Cache.REDISHOST Cache.REDISPORT",
		"${{shared.X}} ${{PORT}} plain ${{ .X}} ${{Y.}}":      "",
		"": "",
	} {
		var got []string
		for _, r := range railway.ServiceReferences(value) {
			got = append(got, r.Service+"."+r.Variable)
		}
		if strings.Join(got, " ") != want {
			t.Errorf("ServiceReferences(%q) = %v, want %s", value, got, want)
		}
	}
}
