package reconcile_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// A second rollback, or a roll forward Railway already matches, clears
// the owed writes at once: nothing is left "not written yet" and the next
// plan is in sync.
func TestOwedWritesAlreadyInPlaceAreCleared(t *testing.T) {
	e := newEnv(t)
	e.converge()
	if err := e.rec.Rollback(t.Context(), "first"); err != nil {
		t.Fatal(err)
	}
	upserts := e.countOp("UpsertVariables")
	if upserts == 0 {
		t.Fatal("no UpsertVariables request counted")
	}
	if err := e.rec.Rollback(t.Context(), "second"); err != nil {
		t.Fatal(err)
	}
	if st := e.rec.State(); len(st.Owed) != 0 {
		t.Fatalf("owed after a second rollback Railway already matches: %v", st.Owed)
	}
	if n := e.countOp("UpsertVariables") - upserts; n != 0 {
		t.Fatalf("the second rollback wrote %d times, want 0", n)
	}
	// Someone restored the variable by hand; rollforward finds it in place.
	e.sim.SetVariables(e.envID, e.backendID, map[string]string{"REDIS_URL": bound})
	if res := e.rec.Pass(t.Context(), reconcile.PassOptions{DryRun: true}); res.Err != nil {
		t.Fatal(res.Err)
	}
	if err := e.rec.RollForward(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := e.rec.State(); len(st.Owed) != 0 {
		t.Fatalf("owed after a roll forward Railway already matches: %v", st.Owed)
	}
	res := e.rec.Pass(t.Context(), reconcile.PassOptions{DryRun: true})
	if res.Plan.Pending() {
		t.Fatalf("plan after the roll forward:\n%s", planLines(res.Plan))
	}
}

// With addon.create false and no addon, apply ends at once with the
// blocker's message instead of waiting out its timeout.
func TestApplyEndsAtOnceWhenBlocked(t *testing.T) {
	e := newEnv(t)
	sp := *e.spec
	sp.Addon.Create = false
	e.rec.SetSpec(&sp)
	passes := 0
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := e.rec.Converge(ctx, reconcile.ConvergeOptions{Interval: 5 * time.Second, Sleep: func(ctx context.Context, d time.Duration) error {
		passes++
		return e.clock.sleep(ctx, d)
	}})
	if !errors.Is(err, reconcile.ErrNotConverged) || !strings.Contains(err.Error(), "addon.create is false") {
		t.Fatalf("Converge = %v, want the blocker", err)
	}
	if passes != 0 {
		t.Fatalf("apply waited %d intervals for something it can never do", passes)
	}
}

// A dry run (plan, report) logs no phase change at info: nothing changed.
func TestDryRunLogsNoPhaseChange(t *testing.T) {
	e := newEnv(t)
	core, logs := observer.New(zap.InfoLevel)
	prober := probes.NewProber(probes.Options{Now: e.clock.Now})
	t.Cleanup(prober.Close)
	rec, err := reconcile.New(reconcile.Options{Spec: e.spec, Railway: e.client, Prober: prober, Logger: zap.New(core),
		Now: e.clock.Now, State: state.New(e.spec.Name, e.clock.Now())})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if res := rec.Pass(t.Context(), reconcile.PassOptions{Probe: true, DryRun: true}); res.Err != nil || res.Phase == state.Pending {
		t.Fatalf("dry pass: %v, phase %s", res.Err, res.Phase)
	}
	if n := logs.FilterMessage("phase changed").Len(); n != 0 {
		t.Fatalf("a dry run logged %d phase changes", n)
	}
}
