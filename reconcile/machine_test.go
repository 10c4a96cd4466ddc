package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func policy() spec.Rollback {
	return spec.Rollback{
		Enabled: true, FailureThreshold: 3, RecoveryThreshold: 12,
		MinRolledBack: 5 * time.Minute, MaxRollbacks: 3, RollbackWindow: time.Hour,
	}
}

// script is a compact sequence of machine inputs, one rune each:
// H healthy round, U unhealthy round, ? inconclusive round, B bound,
// R manual rollback, F manual rollforward, x healthy round while Railway is
// unknown. Rounds are interval apart.
type run struct {
	h         state.Health
	decisions []string
	events    []string
	phases    []state.Phase
}

func play(t *testing.T, cfg spec.Rollback, start state.Health, script string, interval time.Duration) run {
	t.Helper()
	r := run{h: start}
	now := t0
	for _, c := range script {
		in := Input{Kind: InputRound, Known: true, Reason: "redis: connection refused"}
		switch c {
		case 'H':
			in.Healthy = true
		case 'U':
		case '?':
			in.Inconclusive = true
		case 'x':
			in.Healthy, in.Known = true, false
		case 'B':
			in = Input{Kind: InputBound}
		case 'R':
			in = Input{Kind: InputManualRollback, Text: "redis upgrade"}
		case 'F':
			in = Input{Kind: InputManualRollForward}
		default:
			t.Fatalf("bad script rune %q", c)
		}
		var ds []Decision
		var es []state.Event
		r.h, ds, es = Step(r.h, cfg, in, now)
		for _, d := range ds {
			r.decisions = append(r.decisions, fmt.Sprintf("%s@%s", kindName(d.Kind), now.Sub(t0)))
		}
		for _, e := range es {
			r.events = append(r.events, e.Type)
		}
		r.phases = append(r.phases, derivePhase(r.h, phaseView{Obs: obsOK}))
		now = now.Add(interval)
	}
	return r
}

func kindName(k DecisionKind) string {
	switch k {
	case DecideRollback:
		return "rollback"
	case DecideRollForward:
		return "rollforward"
	}
	return "?"
}

func boundHealth() state.Health { return state.Health{Mode: state.Bound} }

func TestStepSequences(t *testing.T) {
	tests := []struct {
		name          string
		cfg           func(*spec.Rollback)
		start         state.Health
		script        string
		interval      time.Duration
		wantDecisions string
		wantEvents    string
		wantMode      state.Mode
		wantPhase     state.Phase
	}{
		{name: "healthy stays healthy", start: boundHealth(), script: "HHHH", wantMode: state.Bound, wantPhase: state.Healthy},
		{name: "two failures degrade then recover", start: boundHealth(), script: "UUH",
			wantEvents: "Degraded Recovered", wantMode: state.Bound, wantPhase: state.Healthy},
		{name: "third failure rolls back", start: boundHealth(), script: "UUU",
			wantDecisions: "rollback@10s", wantEvents: "Degraded RolledBack", wantMode: state.ModeRolledBack, wantPhase: state.RolledBack},
		{name: "inconclusive rounds do not count", start: boundHealth(), script: "UU??H",
			wantEvents: "Degraded Recovered", wantMode: state.Bound, wantPhase: state.Healthy},
		{name: "inconclusive does not break a streak", start: boundHealth(), script: "UU?U",
			wantDecisions: "rollback@15s", wantEvents: "Degraded RolledBack", wantMode: state.ModeRolledBack},
		{name: "disabled rollback only degrades", cfg: func(c *spec.Rollback) { c.Enabled = false }, start: boundHealth(), script: "UUUUU",
			wantEvents: "Degraded", wantMode: state.Bound, wantPhase: state.Degraded},
		{name: "threshold one rolls back at once", cfg: func(c *spec.Rollback) { c.FailureThreshold = 1 }, start: boundHealth(), script: "U",
			wantDecisions: "rollback@0s", wantEvents: "Degraded RolledBack", wantMode: state.ModeRolledBack},
		{name: "unbound never rolls back", start: state.Health{Mode: state.Unbound}, script: "UUUUUU", wantMode: state.Unbound, wantPhase: state.Provisioning},
		{name: "bind", start: state.Health{Mode: state.Unbound}, script: "HBH", wantEvents: "Bound", wantMode: state.Bound, wantPhase: state.Healthy},
		{name: "recovering before threshold", start: boundHealth(), script: "UUU" + strings.Repeat("H", 11), interval: time.Minute,
			wantDecisions: "rollback@2m0s", wantEvents: "Degraded RolledBack Recovering", wantMode: state.ModeRolledBack, wantPhase: state.Recovering},
		{name: "rolls forward after 12 rounds and 5m", start: boundHealth(), script: "UUU" + strings.Repeat("H", 12), interval: time.Minute,
			wantDecisions: "rollback@2m0s rollforward@14m0s", wantEvents: "Degraded RolledBack Recovering RolledForward", wantMode: state.Bound, wantPhase: state.Healthy},
		{name: "12 fast rounds wait for minRolledBack", start: boundHealth(), script: "UUU" + strings.Repeat("H", 60), interval: 5 * time.Second,
			wantDecisions: "rollback@10s rollforward@5m10s", wantEvents: "Degraded RolledBack Recovering RolledForward", wantMode: state.Bound},
		{name: "no roll forward while railway unknown", start: boundHealth(), script: "UUU" + strings.Repeat("x", 20), interval: time.Minute,
			wantDecisions: "rollback@2m0s", wantEvents: "Degraded RolledBack Recovering", wantMode: state.ModeRolledBack, wantPhase: state.Recovering},
		{name: "interrupted recovery", start: boundHealth(), script: "UUUHHU", interval: time.Minute,
			wantDecisions: "rollback@2m0s", wantEvents: "Degraded RolledBack Recovering RecoveryInterrupted", wantMode: state.ModeRolledBack, wantPhase: state.RolledBack},
		{name: "manual rollback holds and rollforward leaves", start: boundHealth(), script: "R" + strings.Repeat("H", 30) + "F",
			wantDecisions: "rollback@0s rollforward@2m35s", wantEvents: "Held RolledForward", wantMode: state.Bound, wantPhase: state.Healthy},
		{name: "rollforward when bound is a no-op", start: boundHealth(), script: "HF", wantMode: state.Bound, wantPhase: state.Healthy},
		{name: "flap guard holds on the fourth rollback", start: boundHealth(), interval: time.Second,
			cfg:           func(c *spec.Rollback) { c.RecoveryThreshold, c.MinRolledBack = 2, time.Millisecond },
			script:        "UUUHH" + "UUUHH" + "UUUHH" + "UUU" + strings.Repeat("H", 20),
			wantDecisions: "rollback@2s rollforward@4s rollback@7s rollforward@9s rollback@12s rollforward@14s rollback@17s",
			wantEvents:    "Degraded RolledBack Recovering RolledForward Degraded RolledBack Recovering RolledForward Degraded RolledBack Recovering RolledForward Degraded Held",
			wantMode:      state.ModeHeld, wantPhase: state.Held},
		{name: "rollbacks outside the window do not hold", start: boundHealth(), interval: 10 * time.Minute,
			cfg:           func(c *spec.Rollback) { c.RecoveryThreshold, c.MinRolledBack = 1, time.Minute },
			script:        "UUUHH" + "UUUHH" + "UUUHH" + "UUUHH",
			wantDecisions: "rollback@20m0s rollforward@30m0s rollback@1h10m0s rollforward@1h20m0s rollback@2h0m0s rollforward@2h10m0s rollback@2h50m0s rollforward@3h0m0s",
			wantMode:      state.Bound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := policy()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			interval := tt.interval
			if interval == 0 {
				interval = 5 * time.Second
			}
			r := play(t, cfg, tt.start, tt.script, interval)
			if got := strings.Join(r.decisions, " "); got != tt.wantDecisions {
				t.Errorf("decisions:\n got %q\nwant %q", got, tt.wantDecisions)
			}
			if tt.wantEvents != "" || len(r.events) > 0 && tt.wantDecisions == "" {
				if got := strings.Join(r.events, " "); got != tt.wantEvents {
					t.Errorf("events:\n got %q\nwant %q", got, tt.wantEvents)
				}
			}
			if r.h.Mode != tt.wantMode {
				t.Errorf("mode = %s, want %s", r.h.Mode, tt.wantMode)
			}
			if tt.wantPhase != "" {
				if got := r.phases[len(r.phases)-1]; got != tt.wantPhase {
					t.Errorf("phase = %s, want %s", got, tt.wantPhase)
				}
			}
		})
	}
}

func TestFailedRollForwardTriplesMinRolledBack(t *testing.T) {
	cfg := policy()
	cfg.MaxRollbacks = 10
	// Roll back, recover for 5m, roll forward, fail again at once: 15m next.
	script := "UUU" + strings.Repeat("H", 12) + "UUU"
	r := play(t, cfg, boundHealth(), script, time.Minute)
	if r.h.MinRolledBack != 15*time.Minute {
		t.Fatalf("minRolledBack = %s, want 15m", r.h.MinRolledBack)
	}
	// Healthy for 12 rounds but only 12m: no roll forward before 15m.
	r2 := play(t, cfg, r.h, strings.Repeat("H", 14), time.Minute)
	if strings.Join(r2.decisions, " ") != "" {
		t.Fatalf("rolled forward before the tripled minRolledBack: %v", r2.decisions)
	}
	// Two more failed roll forwards: 45m, capped at 30m.
	h := r.h
	for range 3 {
		h.RolledBackAt = t0.Add(-time.Hour)
		h, _, _ = Step(h, cfg, Input{Kind: InputRound, Healthy: true, Known: true}, t0)
		for h.Mode != state.Bound {
			h, _, _ = Step(h, cfg, Input{Kind: InputRound, Healthy: true, Known: true}, t0)
		}
		for h.Mode == state.Bound {
			h, _, _ = Step(h, cfg, Input{Kind: InputRound, Known: true, Reason: "x"}, t0)
		}
	}
	if h.MinRolledBack != 30*time.Minute {
		t.Fatalf("minRolledBack = %s, want the 30m cap", h.MinRolledBack)
	}
}

func TestRollForwardThenHealthyRoundProves(t *testing.T) {
	cfg := policy()
	script := "UUU" + strings.Repeat("H", 13) + "UUU"
	r := play(t, cfg, boundHealth(), script, time.Minute)
	if r.h.MinRolledBack != 5*time.Minute {
		t.Fatalf("a roll forward followed by a healthy round is not a failed one: minRolledBack = %s", r.h.MinRolledBack)
	}
}

func TestStepDoesNotModifyInput(t *testing.T) {
	h := state.Health{Mode: state.Bound, Unhealthy: 2, Rollbacks: []time.Time{t0}}
	before := fmt.Sprintf("%+v", h)
	Step(h, policy(), Input{Kind: InputRound, Known: true, Reason: "x"}, t0.Add(time.Minute))
	if after := fmt.Sprintf("%+v", h); after != before {
		t.Fatalf("Step modified its input:\n%s\n%s", before, after)
	}
}

func TestDerivePhase(t *testing.T) {
	tests := []struct {
		h    state.Health
		v    phaseView
		want state.Phase
	}{
		{state.Health{Mode: state.Unbound}, phaseView{}, state.Pending},
		{state.Health{Mode: state.Unbound}, phaseView{Obs: obsOK}, state.Provisioning},
		{state.Health{Mode: state.Unbound}, phaseView{Obs: obsFailed}, state.Unknown},
		{state.Health{Mode: state.Bound}, phaseView{Obs: obsOK}, state.Provisioning},
		{state.Health{Mode: state.Bound, LastRound: "healthy"}, phaseView{Obs: obsOK}, state.Healthy},
		{state.Health{Mode: state.Bound, LastRound: "healthy"}, phaseView{Obs: obsOK, Provisioning: true}, state.Provisioning},
		{state.Health{Mode: state.Bound, Unhealthy: 1}, phaseView{Obs: obsOK}, state.Degraded},
		{state.Health{Mode: state.Bound, Unhealthy: 1}, phaseView{Obs: obsFailed}, state.Unknown},
		{state.Health{Mode: state.ModeRolledBack}, phaseView{Obs: obsNone}, state.RolledBack},
		{state.Health{Mode: state.ModeRolledBack, Healthy: 2}, phaseView{Obs: obsOK}, state.Recovering},
		{state.Health{Mode: state.ModeHeld}, phaseView{Obs: obsFailed}, state.Held},
	}
	for _, tt := range tests {
		if got := derivePhase(tt.h, tt.v); got != tt.want {
			t.Errorf("derivePhase(%+v, %+v) = %s, want %s", tt.h, tt.v, got, tt.want)
		}
	}
}

func TestExpectChecksCountOnlyWhileBoundAndSettled(t *testing.T) {
	sp := fixture(t)
	tests := []struct {
		name string
		edit func(*state.State)
		skip bool
	}{
		{"unbound", func(s *state.State) { s.Health.Mode = state.Unbound }, true},
		{"bound and settled", func(s *state.State) { s.Health.Mode = state.Bound }, false},
		{"bound, deploy rolling out", func(s *state.State) {
			s.Health.Mode = state.Bound
			s.TrackDeploy("backend", &state.Deploy{DeploymentID: "d1"})
		}, true},
		{"bound, writes owed", func(s *state.State) { s.Health.Mode, s.Owed = state.Bound, []string{"backend"} }, true},
		{"rolled back", func(s *state.State) { s.Health.Mode = state.ModeRolledBack }, true},
		{"held", func(s *state.State) { s.Health.Mode = state.ModeHeld }, true},
	}
	for _, tt := range tests {
		st := state.New("x", t0)
		tt.edit(st)
		r := &Reconciler{o: owned{st: st}}
		r.publish()
		if got := roundConfig(sp, r.snap.Load()).SkipExpect; got != tt.skip {
			t.Errorf("%s: SkipExpect = %v, want %v", tt.name, got, tt.skip)
		}
	}
}
