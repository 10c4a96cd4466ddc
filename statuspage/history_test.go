package statuspage

import (
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/state"
)

func TestHistoryKeepsTheLastHourOfRounds(t *testing.T) {
	var h History
	start := t0.Add(-2 * time.Hour)
	for i := range 2 * 3600 / 5 { // two hours, every 5 s
		h.ObserveRound(start.Add(time.Duration(i)*5*time.Second), "healthy", time.Millisecond, 1<<20)
	}
	now := start.Add(2*time.Hour - 5*time.Second)
	got := h.Rounds(now)
	if len(got) != 720 {
		t.Fatalf("rounds in the last hour = %d, want 720 (one every 5 s)", len(got))
	}
	if first := got[0].At; !first.After(now.Add(-RoundWindow)) {
		t.Errorf("first round %s is older than an hour before %s", first, now)
	}
	if n := len(h.rounds.buf); n > 1024 {
		t.Errorf("ring holds %d slots for 720 rounds an hour: it should grow only as used", n)
	}
}

func TestHistoryBoundsRoundsByCount(t *testing.T) {
	var h History
	for i := range 3 * MaxRounds { // ten a second: more than MaxRounds within the hour
		h.ObserveRound(t0.Add(time.Duration(i)*100*time.Millisecond), "healthy", time.Millisecond, 0)
	}
	now := t0.Add(time.Duration(3*MaxRounds) * 100 * time.Millisecond)
	got := h.Rounds(now)
	if len(got) != MaxRounds {
		t.Fatalf("rounds kept = %d, want MaxRounds %d", len(got), MaxRounds)
	}
	if len(h.rounds.buf) != MaxRounds {
		t.Errorf("ring size = %d, want MaxRounds %d", len(h.rounds.buf), MaxRounds)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].At.After(got[i-1].At) {
			t.Fatalf("rounds out of order at %d: %s then %s", i, got[i-1].At, got[i].At)
		}
	}
	if want := now.Add(-time.Duration(MaxRounds) * 100 * time.Millisecond); !got[0].At.Equal(want) {
		t.Errorf("oldest kept = %s, want %s (the newest MaxRounds)", got[0].At, want)
	}
}

func TestHistoryDropsRoundsOutOfOrder(t *testing.T) {
	var h History
	h.ObserveRound(t0, "healthy", time.Millisecond, 1)
	h.ObserveRound(t0.Add(-time.Second), "unhealthy", 0, 0)
	if got := h.Rounds(t0); len(got) != 1 || got[0].Verdict != "healthy" {
		t.Errorf("rounds = %+v, want only the first", got)
	}
}

func TestHistoryPhasesOfTheLastDay(t *testing.T) {
	var h History
	h.ObservePhase(t0.Add(-30*time.Hour), state.Pending, "")
	h.ObservePhase(t0.Add(-26*time.Hour), state.Healthy, "bound")
	h.ObservePhase(t0.Add(-2*time.Hour), state.Degraded, "redis unhealthy")
	h.ObservePhase(t0.Add(-2*time.Hour+time.Second), state.Degraded, "again") // same phase: ignored
	h.ObservePhase(t0.Add(-3*time.Hour), state.Held, "late")                  // out of order: ignored
	h.ObservePhase(t0.Add(-time.Hour), state.RolledBack, "roll back")
	got := h.Phases(t0)
	want := []state.Phase{state.Healthy, state.Degraded, state.RolledBack}
	if len(got) != len(want) {
		t.Fatalf("phases = %+v, want %v (the one the window starts in, then the changes in it)", got, want)
	}
	for i, p := range want {
		if got[i].Phase != p {
			t.Errorf("phase %d = %s, want %s", i, got[i].Phase, p)
		}
	}
	if got[1].Reason != "redis unhealthy" {
		t.Errorf("reason = %q, want the first change's", got[1].Reason)
	}
}

func TestHistoryBoundsPhaseChanges(t *testing.T) {
	var h History
	for i := range 3 * MaxPhaseChanges {
		p := state.Healthy
		if i%2 == 1 {
			p = state.Degraded
		}
		h.ObservePhase(t0.Add(time.Duration(i)*time.Second), p, "")
	}
	if got := h.Phases(t0.Add(time.Hour)); len(got) != MaxPhaseChanges {
		t.Errorf("phase changes kept = %d, want MaxPhaseChanges %d", len(got), MaxPhaseChanges)
	}
}

func TestObserveProbeRound(t *testing.T) {
	var h History
	h.ObserveProbeRound(probes.Round{At: t0, Addon: probes.VerdictUnhealthy, Checks: []probes.Check{
		{Name: "redis", Kind: probes.KindRedis, Step: probes.StepLatency, Latency: 150 * time.Millisecond, UsedMemory: 3 << 20},
		{Name: "endpoint/backend", Kind: probes.KindEndpoint, OK: true, Latency: time.Second},
	}})
	h.ObserveProbeRound(probes.Round{At: t0.Add(time.Second), Addon: probes.VerdictUnhealthy, Checks: []probes.Check{
		{Name: "redis", Kind: probes.KindRedis, Step: probes.StepConnect, Latency: 200 * time.Microsecond},
	}})
	got := h.Rounds(t0.Add(time.Second))
	want := []Round{
		{At: t0, Verdict: "unhealthy", Latency: 150 * time.Millisecond, UsedMemory: 3 << 20},
		{At: t0.Add(time.Second), Verdict: "unhealthy"},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("rounds = %+v, want %+v (a slow PING counts, a refused connection has no latency)", got, want)
	}
}

func TestHistoryIsSafeForConcurrentUse(t *testing.T) {
	var h History
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				at := t0.Add(time.Duration(i) * time.Second)
				switch w {
				case 0:
					h.ObserveRound(at, "healthy", time.Millisecond, 1)
				case 1:
					h.ObservePhase(at, state.Phases[i%len(state.Phases)], "")
				case 2:
					h.ObserveReport(at, "OK", "in sync")
				default:
					_, _, _ = h.Rounds(at), h.Phases(at), h.LastReport()
				}
			}
		}()
	}
	wg.Wait()
	if n := len(h.Rounds(t0.Add(500 * time.Second))); n != 500 {
		t.Errorf("rounds = %d, want 500", n)
	}
}
