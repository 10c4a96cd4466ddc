package reconcile

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// checkInvariants replays inputs decoded from data and fails on any breach
// of the machine's safety invariants (CONTRACT section 5):
//   - never roll forward before minRolledBack or recoveryThreshold rounds
//     (a person's rollforward excepted), nor while Railway is unknown;
//   - never more than maxRollbacks automatic rollbacks inside a window
//     without ending in Held;
//   - Held is left only by a manual rollforward;
//   - inconclusive rounds change nothing.
func checkInvariants(t *testing.T, cfg spec.Rollback, data []byte) (rollbacks, rollforwards, holds int) {
	h := state.Health{Mode: state.Bound}
	now := t0
	var autoRollbacks []time.Time
	for _, b := range data {
		now = now.Add(time.Duration(b>>4+1) * 20 * time.Second)
		in := decodeInput(b)
		prev := h
		next, ds, _ := Step(h, cfg, in, now)
		for _, d := range ds {
			switch d.Kind {
			case DecideRollForward:
				rollforwards++
				checkRollForward(t, cfg, prev, in, now)
			case DecideRollback:
				rollbacks++
				if in.Kind == InputRound {
					autoRollbacks = append(autoRollbacks, now)
					if n := countSince(autoRollbacks, now.Add(-cfg.RollbackWindow)); n > cfg.MaxRollbacks && next.Mode != state.ModeHeld {
						t.Fatalf("%d rollbacks within %s without Held", n, cfg.RollbackWindow)
					}
				}
			}
		}
		if prev.Mode == state.ModeHeld && next.Mode != state.ModeHeld && in.Kind != InputManualRollForward {
			t.Fatalf("left Held on input %+v", in)
		}
		if in.Kind == InputRound && in.Inconclusive && (len(ds) > 0 || next.Mode != prev.Mode || next.Healthy != prev.Healthy || next.Unhealthy != prev.Unhealthy) {
			t.Fatalf("an inconclusive round changed the machine: %+v → %+v", prev, next)
		}
		if next.Mode == state.ModeHeld && prev.Mode != state.ModeHeld {
			holds++
		}
		h = next
	}
	return rollbacks, rollforwards, holds
}

func checkRollForward(t *testing.T, cfg spec.Rollback, prev state.Health, in Input, now time.Time) {
	if in.Kind == InputManualRollForward {
		return
	}
	if !in.Known {
		t.Fatalf("rolled forward while Railway is unknown")
	}
	if prev.Mode != state.ModeRolledBack {
		t.Fatalf("rolled forward from mode %s", prev.Mode)
	}
	if since := now.Sub(prev.RolledBackAt); since < cfg.MinRolledBack || since < prev.MinRolledBack {
		t.Fatalf("rolled forward %s after the rollback, minRolledBack %s", since, prev.MinRolledBack)
	}
	if prev.Healthy+1 < cfg.RecoveryThreshold {
		t.Fatalf("rolled forward after %d healthy rounds", prev.Healthy+1)
	}
}

func countSince(ts []time.Time, cutoff time.Time) int {
	n := 0
	for _, t := range ts {
		if t.After(cutoff) {
			n++
		}
	}
	return n
}

func decodeInput(b byte) Input {
	in := Input{Kind: InputRound, Known: b&0x08 == 0, Reason: "redis: timeout"}
	switch b & 0x07 {
	case 0, 1, 2:
		in.Healthy = true
	case 3, 4:
	case 5:
		in.Inconclusive = true
	case 6:
		in = Input{Kind: InputManualRollback, Text: "test"}
		if b&0x08 != 0 {
			in = Input{Kind: InputManualRollForward}
		}
	case 7:
		in = Input{Kind: InputBound}
	}
	return in
}

func fuzzPolicy() spec.Rollback {
	cfg := policy()
	cfg.RecoveryThreshold = 4
	cfg.MinRolledBack = 2 * time.Minute
	cfg.MaxRollbacks = 2
	cfg.RollbackWindow = 30 * time.Minute
	return cfg
}

func FuzzStep(f *testing.F) {
	f.Add([]byte{3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3})
	f.Add([]byte{0x13, 0x13, 0x13, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x0e, 0x33})
	f.Add([]byte{6, 0, 0, 0, 0, 0, 0, 0, 0x0e, 3, 3, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkInvariants(t, fuzzPolicy(), data)
	})
}

// TestStepProperties runs the invariants over many random sequences with
// fixed seeds, so a plain `go test` covers what the fuzzer explores.
func TestStepProperties(t *testing.T) {
	var rollbacks, rollforwards, holds int
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 42))
		data := make([]byte, 200)
		for i := range data {
			// Bias towards rounds so that rollbacks and roll forwards happen.
			data[i] = byte(r.IntN(256)) &^ byte(r.IntN(2)<<1)
		}
		b, f, h := checkInvariants(t, fuzzPolicy(), data)
		rollbacks, rollforwards, holds = rollbacks+b, rollforwards+f, holds+h
	}
	// The sequences must exercise what they check.
	if rollbacks < 100 || rollforwards < 100 || holds < 50 {
		t.Fatalf("weak coverage: %d rollbacks, %d roll forwards, %d holds", rollbacks, rollforwards, holds)
	}
	t.Logf("%d rollbacks, %d roll forwards, %d holds", rollbacks, rollforwards, holds)
}
