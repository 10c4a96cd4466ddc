package reconcile

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestDiff(t *testing.T) {
	tests := []struct {
		name      string
		spec      func(*spec.Spec)
		world     *world
		state     *state.State
		decisions []Decision
		only      bool
		// golden is the plan's text; kinds the action kinds in order.
		kinds       string
		wantWaiting int
		wantBlocked int
		wantDrift   int
	}{
		{name: "empty project", world: newWorld(), state: stateWith(state.Unbound),
			kinds: "create-addon", wantDrift: 4, wantWaiting: 2},
		{name: "addon deploying", world: newWorld().withAddon(railway.StatusDeploying), state: stateWith(state.Unbound, healthyRound),
			kinds: "", wantDrift: 3, wantWaiting: 3},
		{name: "bind once up and healthy", world: newWorld().withAddon(railway.StatusSuccess), state: stateWith(state.Unbound, healthyRound),
			kinds: "set-variables deploy set-variables deploy", wantDrift: 3},
		{name: "no bind before a healthy round", world: newWorld().withAddon(railway.StatusSuccess), state: stateWith(state.Unbound),
			kinds: "", wantDrift: 3, wantWaiting: 2},
		{name: "in sync", world: newWorld().withAddon(railway.StatusSuccess).bound(), state: stateWith(state.Bound, healthyRound)},
		{name: "hand-edited variable", world: newWorld().withAddon(railway.StatusSuccess).bound().set("backend", "REDIS_URL", "redis://old:6379"),
			state: stateWith(state.Bound), kinds: "set-variables deploy", wantDrift: 1},
		{name: "no deploy when deploy is false", spec: func(s *spec.Spec) { s.Consumers[0].Deploy = false },
			world: newWorld().withAddon(railway.StatusSuccess).bound().set("backend", "REDIS_URL", ""),
			state: stateWith(state.Bound), kinds: "set-variables", wantDrift: 1},
		{name: "rollback decided", world: newWorld().withAddon(railway.StatusSuccess).bound(),
			state:     stateWith(state.ModeRolledBack, owed("backend", "worker")),
			decisions: []Decision{{Kind: DecideRollback, Reason: "roll back: 3 unhealthy rounds (redis: connection refused)"}},
			kinds:     "rollback set-variables deploy set-variables deploy", wantDrift: 2},
		{name: "rolled back is not drift", world: newWorld().withAddon(railway.StatusSuccess).bound().set("backend", "REDIS_URL", "").set("worker", "REDIS_URL", ""),
			state: stateWith(state.ModeRolledBack)},
		{name: "roll forward decided", world: newWorld().withAddon(railway.StatusSuccess).bound().set("backend", "REDIS_URL", "").set("worker", "REDIS_URL", ""),
			state:     stateWith(state.Bound, owed("backend", "worker")),
			decisions: []Decision{{Kind: DecideRollForward, Reason: "roll forward: 12 healthy rounds over 6m"}},
			kinds:     "rollforward set-variables deploy set-variables deploy", wantDrift: 2},
		{name: "unknown: no correction on a guess", world: &world{err: errors.New("railway: 503")}, state: stateWith(state.Bound)},
		{name: "unknown: no creation on a guess", world: &world{err: errors.New("railway: 503")}, state: stateWith(state.Unbound)},
		{name: "unknown: an owed rollback is still written", world: &world{err: errors.New("railway: 503")},
			state: stateWith(state.ModeRolledBack, owed("backend", "worker"), decided("roll back: 3 unhealthy rounds (redis: timeout)")),
			kinds: "rollback set-variables deploy set-variables deploy"},
		{name: "unknown: an owed roll forward waits", world: &world{err: errors.New("railway: 503")},
			state: stateWith(state.Bound, owed("backend"), decided("roll forward: 12 healthy rounds over 6m"))},
		{name: "create false", spec: func(s *spec.Spec) { s.Addon.Create = false }, world: newWorld(), state: stateWith(state.Unbound),
			wantDrift: 4, wantWaiting: 2, wantBlocked: 1},
		{name: "workflow in flight", world: newWorld(), state: stateWith(state.Unbound, creating(time.Minute, 1, ""), func(s *state.State) {
			s.Addon.WorkflowID, s.Addon.WorkflowStarted = "wf_1", t0.Add(-time.Minute)
		}), wantDrift: 4, wantWaiting: 3},
		{name: "ambiguous creation waits for its service", world: newWorld(),
			state:     stateWith(state.Unbound, creating(14*time.Minute, 1, "DeployTemplate: HTTP 502")),
			wantDrift: 4, wantWaiting: 3},
		{name: "creation sent once more after the grace", world: newWorld(),
			state: stateWith(state.Unbound, creating(15*time.Minute+time.Second, 1, "DeployTemplate: HTTP 502")),
			kinds: "create-addon", wantDrift: 4, wantWaiting: 2},
		{name: "creation sent twice needs a person", world: newWorld(),
			state:     stateWith(state.Unbound, creating(16*time.Minute, 2, "DeployTemplate: HTTP 502")),
			wantDrift: 4, wantWaiting: 2, wantBlocked: 1},
		{name: "refused creation waits an hour", world: newWorld(), state: stateWith(state.Unbound, func(s *state.State) {
			s.Addon.LastCreateFailed, s.Addon.CreateRefused = t0.Add(-50*time.Minute), true
			s.Addon.CreateError = "creating the addon needs a workspace or account token in RAILWAY_API_TOKEN"
		}), wantDrift: 4, wantWaiting: 2, wantBlocked: 1},
		{name: "addon named otherwise is drift, never a creation", world: func() *world {
			w := newWorld().withAddon(railway.StatusSuccess)
			w.addon.ServiceName = "Redis-x7Kp"
			return w
		}(), state: stateWith(state.Unbound, healthyRound), wantDrift: 4, wantBlocked: 1, wantWaiting: 2},
		{name: "failed creation cools down", world: newWorld(), state: stateWith(state.Unbound, func(s *state.State) { s.Addon.LastCreateFailed = t0.Add(-time.Minute) }),
			wantDrift: 4, wantWaiting: 2, wantBlocked: 1},
		{name: "name conflict", world: func() *world { w := newWorld(); w.addon = nil; return w }(), state: stateWith(state.Unbound),
			kinds: "create-addon", wantDrift: 4, wantWaiting: 2},
		{name: "consumer missing", world: func() *world {
			w := newWorld().withAddon(railway.StatusSuccess).bound()
			w.consumers["worker"] = ConsumerObs{}
			return w
		}(), state: stateWith(state.Bound), wantDrift: 1, wantBlocked: 1},
		{name: "owed deploy after a crash", world: newWorld().withAddon(railway.StatusSuccess).bound(),
			state: stateWith(state.Bound, func(s *state.State) {
				s.TrackDeploy("backend", &state.Deploy{ServiceID: "svc_backend", Reason: "variables changed", Intent: t0, PrevDeploymentID: "d_b1"})
			}), kinds: "deploy"},
		{name: "consumer deploy failed", world: func() *world {
			w := newWorld().withAddon(railway.StatusSuccess).bound()
			w.consumers["backend"].Instance.LatestDeployment.Status = railway.StatusCrashed
			return w
		}(), state: stateWith(state.Bound), wantDrift: 1},
		{name: "decisions only: no creation", world: newWorld(), state: stateWith(state.ModeRolledBack, owed("backend")), only: true,
			decisions: []Decision{{Kind: DecideRollback, Reason: "roll back"}}, kinds: "rollback set-variables deploy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var edits []func(*spec.Spec)
			if tt.spec != nil {
				edits = append(edits, tt.spec)
			}
			sp := fixture(t, edits...)
			obs := tt.world.obs()
			before := snapshot(t, obs, tt.state)
			plan := Diff(DiffInput{Spec: sp, Obs: obs, State: tt.state, Decisions: tt.decisions, Now: t0, DecisionsOnly: tt.only})
			if after := snapshot(t, obs, tt.state); after != before {
				t.Fatal("Diff modified its inputs")
			}
			var kinds []string // what this pass carries out; the goldens show the whole path
			for _, a := range plan.Actions {
				if a.DependsOn == "" {
					kinds = append(kinds, string(a.Kind))
				}
			}
			if got := strings.Join(kinds, " "); got != tt.kinds {
				t.Errorf("actions = %q, want %q", got, tt.kinds)
			}
			if len(plan.Waiting) != tt.wantWaiting || len(plan.Blocked) != tt.wantBlocked || len(plan.Drift) != tt.wantDrift {
				t.Errorf("waiting %d blocked %d drift %d, want %d %d %d\n%s", len(plan.Waiting), len(plan.Blocked), len(plan.Drift),
					tt.wantWaiting, tt.wantBlocked, tt.wantDrift, planText(t, plan))
			}
			golden(t, filepath.Join("testdata", "plan", strings.NewReplacer(" ", "-", ":", "").Replace(tt.name)+".golden"), planText(t, plan))
		})
	}
}

// creating records a creation sent ago, after attempts, with an
// ambiguous error.
func creating(ago time.Duration, attempts int, ambiguous string) func(*state.State) {
	return func(s *state.State) {
		s.Addon.Creation = &state.Creation{At: t0.Add(-ago), Before: []string{"svc_backend", "svc_worker"}, Attempts: attempts, Ambiguous: ambiguous}
	}
}

func TestDiffAddonConflict(t *testing.T) {
	w := newWorld()
	obs := w.obs()
	obs.AddonConflict = `service Redis exists but runs image "nginx:1", not Redis`
	plan := Diff(DiffInput{Spec: fixture(t), Obs: obs, State: stateWith(state.Unbound), Now: t0})
	if plan.Pending() || len(plan.Blocked) != 1 {
		t.Fatalf("a name conflict must block, never create: %+v", plan)
	}
}

func TestDiffUnknownWritesEveryRollbackVariable(t *testing.T) {
	st := stateWith(state.ModeHeld, owed("backend"))
	plan := Diff(DiffInput{Spec: fixture(t), Obs: &Observed{Err: errors.New("down")}, State: st, Now: t0})
	if len(plan.Actions) != 2 || plan.Actions[0].ServiceID != "svc_backend" || plan.Actions[0].Set["REDIS_URL"] != "" ||
		len(plan.Actions[0].Set) != 1 {
		t.Fatalf("plan = %+v", plan.Actions)
	}
}

func TestDiffMasksSecrets(t *testing.T) {
	w := newWorld().withAddon(railway.StatusSuccess).bound().set("backend", "REDIS_URL", "redis://default:hunter2@10.0.0.1:6379")
	plan := Diff(DiffInput{Spec: fixture(t), Obs: w.obs(), State: stateWith(state.Bound), Now: t0})
	b, _ := json.Marshal(plan)
	if text := planText(t, plan) + string(b); strings.Contains(text, "hunter2") {
		t.Fatalf("plan leaks the password:\n%s", text)
	}
	if !strings.Contains(planText(t, plan), `is "redis://default:***@10.0.0.1:6379", want "${{Redis.REDIS_URL}}"`) {
		t.Fatalf("plan text:\n%s", planText(t, plan))
	}
}

func healthyRound(s *state.State) { s.Health.LastRound = "healthy" }

func owed(svcs ...string) func(*state.State) {
	return func(s *state.State) { s.Owed = svcs }
}

func decided(reason string) func(*state.State) {
	return func(s *state.State) { s.Health.Decision = reason }
}

func snapshot(t *testing.T, obs *Observed, st *state.State) string {
	t.Helper()
	b, err := json.Marshal(struct {
		O *Observed
		S *state.State
	}{obs, st})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func planText(t *testing.T, p *Plan) string {
	t.Helper()
	var b bytes.Buffer
	if err := p.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// The plan of an empty project shows the whole path: the creation now,
// then the binding write and the deploy, marked as depending on the addon
// and a healthy round (text and JSON).
func TestPlanShowsActionsThatDependOnEarlierOnes(t *testing.T) {
	w := newWorld()
	w.addon = nil
	plan := Diff(DiffInput{Spec: fixture(t), Obs: w.obs(), State: stateWith(state.Unbound), Now: t0})
	const after = "addon Redis SUCCESS and one healthy round"
	var deferred []string
	for _, a := range plan.Actions {
		if a.DependsOn != "" {
			if a.DependsOn != after {
				t.Errorf("%s %s depends on %q", a.Kind, a.Service, a.DependsOn)
			}
			deferred = append(deferred, string(a.Kind)+" "+a.Service)
		}
	}
	if got := strings.Join(deferred, ", "); got != "set-variables backend, deploy backend, set-variables worker, deploy worker" {
		t.Fatalf("deferred actions = %q", got)
	}
	text := planText(t, plan)
	if !strings.Contains(text, "(after: "+after+") set backend REDIS_URL: is unset, want \"${{Redis.REDIS_URL}}\"") {
		t.Errorf("text plan:\n%s", text)
	}
	b, err := json.Marshal(plan)
	if err != nil || !strings.Contains(string(b), `"dependsOn":"`+after+`"`) {
		t.Errorf("JSON plan has no dependsOn: %s (%v)", b, err)
	}
}
