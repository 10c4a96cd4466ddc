package railway_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// TestSimCreateAddon runs `railway add --database redis` the client's way:
// template, templateDeployV2, workflowStatus (NotFound at first, then
// Running) until Complete; the new service is listed only then, and is found
// by the difference of service ids.
func TestSimCreateAddon(t *testing.T) {
	t.Parallel()
	w := newSimWorld(t, railwaytest.Options{WorkflowDuration: 5 * time.Second}, nil)
	ctx := t.Context()
	before := serviceIDs(t, w)
	tpl, err := w.c.Template(ctx, "redis")
	if err != nil {
		t.Fatal(err)
	}
	if tpl.ID != railwaytest.RedisTemplateID || len(tpl.SerializedConfig) == 0 {
		t.Fatalf("template = %+v", tpl)
	}
	wf, err := w.c.DeployTemplate(ctx, railway.TemplateDeploy{ProjectID: w.projectID, EnvironmentID: w.envID, Template: tpl, ServiceName: "cache"})
	if err != nil || wf == "" {
		t.Fatalf("workflow %q, err %v", wf, err)
	}
	for _, step := range []struct {
		advance time.Duration
		want    railway.WorkflowStatus
	}{{0, railway.WorkflowNotFound}, {2 * time.Second, railway.WorkflowRunning}, {10 * time.Second, railway.WorkflowComplete}} {
		if got := newIDs(serviceIDs(t, w), before); step.want != railway.WorkflowComplete && len(got) != 0 {
			t.Fatalf("service %v listed while the workflow is not complete", got)
		}
		w.clock.Advance(step.advance)
		if st, err := w.c.WorkflowStatus(ctx, wf); err != nil || st.Status != step.want {
			t.Fatalf("status %+v, err %v, want %s", st, err, step.want)
		}
	}
	created := newIDs(serviceIDs(t, w), before)
	if len(created) != 1 {
		t.Fatalf("new services = %v, want one", created)
	}
	cacheID := created[0]
	obs, err := w.c.Observe(ctx, w.projectID, w.envID, []string{cacheID})
	if err != nil {
		t.Fatal(err)
	}
	in, ok := obs.InstanceByID(cacheID)
	if !ok || in.ServiceName != "cache" || !railway.IsRedisImage(in.Image) {
		t.Fatalf("new service %q: %+v", cacheID, in)
	}
	raw := obs.Variables[cacheID]
	if raw["REDISPORT"] != "6379" || raw["REDIS_PASSWORD"] == "" || !strings.Contains(raw["REDIS_URL"], "${{") {
		t.Errorf("template variables were not filled from their defaults: %v", keys(raw))
	}
	if reqs := w.sim.Requests(); reqs[0].OperationName != railway.OpProject || reqs[1].OperationName != railway.OpTemplate {
		t.Errorf("first requests = %s, %s", reqs[0].OperationName, reqs[1].OperationName)
	}
}

func serviceIDs(t *testing.T, w *simWorld) []string {
	t.Helper()
	p, err := w.c.Project(t.Context(), w.projectID)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 0, len(p.Services))
	for _, s := range p.Services {
		ids = append(ids, s.ID)
	}
	return ids
}

func newIDs(after, before []string) []string {
	var out []string
	for _, id := range after {
		if !slices.Contains(before, id) {
			out = append(out, id)
		}
	}
	return out
}

// TestSimAmbiguousTemplateDeploy: a templateDeployV2 that Railway executed
// and then answered 502, or whose connection dropped, is not retried: the
// caller gets a transient error after one request, and the one service the
// deployment created appears when its workflow completes.
func TestSimAmbiguousTemplateDeploy(t *testing.T) {
	t.Parallel()
	for _, kind := range []railwaytest.FaultKind{railwaytest.FaultAfterExecute502, railwaytest.FaultAfterExecuteDrop} {
		w := newSimWorld(t, railwaytest.Options{}, nil)
		tpl, err := w.c.Template(t.Context(), "redis")
		if err != nil {
			t.Fatal(err)
		}
		before := serviceIDs(t, w)
		w.sim.ResetLog()
		w.sim.FailNextMutation("templateDeployV2", kind)
		_, err = w.c.DeployTemplate(t.Context(), railway.TemplateDeploy{ProjectID: w.projectID, EnvironmentID: w.envID, Template: tpl, ServiceName: "Cache"})
		if !railway.IsTransient(err) {
			t.Fatalf("fault %d: err = %v, want transient", kind, err)
		}
		if n := w.sim.MutationCount(); n != 1 {
			t.Errorf("fault %d: %d templateDeployV2 requests, want 1", kind, n)
		}
		if got := newIDs(serviceIDs(t, w), before); len(got) != 0 {
			t.Errorf("fault %d: service listed before the workflow completed", kind)
		}
		w.clock.Advance(railwaytest.DefaultWorkflowDuration)
		if got := newIDs(serviceIDs(t, w), before); len(got) != 1 {
			t.Errorf("fault %d: new services %v, want exactly one", kind, got)
		}
	}
}
