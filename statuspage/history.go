package statuspage

import (
	"sync"
	"time"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/state"
)

// Windows and bounds of a History. Memory is bounded by the counts, time
// by the windows, whichever comes first: with probes faster than one a
// second the charts cover less than an hour.
const (
	// RoundWindow is how far back the charts go.
	RoundWindow = time.Hour
	// MaxRounds bounds the rounds kept (one a second for an hour).
	MaxRounds = 3600
	// PhaseWindow is how far back the phase timeline goes.
	PhaseWindow = 24 * time.Hour
	// MaxPhaseChanges bounds the phase changes kept.
	MaxPhaseChanges = 2000
)

// Round is one probe round as the charts see it.
type Round struct {
	At time.Time
	// Verdict is "healthy", "unhealthy" or "inconclusive".
	Verdict string
	// Latency is the PING round trip, 0 when the round had none.
	Latency time.Duration
	// UsedMemory is Redis's used_memory, 0 when unknown.
	UsedMemory int64
}

// PhaseChange is the phase entered at a time.
type PhaseChange struct {
	At     time.Time
	Phase  state.Phase
	Reason string
}

// Report is the last drift report: when, and its one-line summary.
type Report struct {
	At      time.Time
	Status  string
	Summary string
}

// History is an in-memory record of the last hour of probe rounds and the
// last 24 h of phase changes, bounded in memory. It is never persisted (the
// state file's size does not change): after a restart the charts start
// empty. It is safe for concurrent use; the Observe methods are cheap
// enough to call under the reconciler's lock. The zero value is ready.
type History struct {
	mu     sync.Mutex
	rounds ring[Round]
	phases ring[PhaseChange]
	report Report
}

// ObserveRound records one probe round. Rounds must come in time order;
// one older than the last recorded is dropped.
func (h *History) ObserveRound(at time.Time, verdict string, latency time.Duration, usedMemory int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if last, ok := h.rounds.last(); ok && at.Before(last.At) {
		return
	}
	h.rounds.push(Round{At: at, Verdict: verdict, Latency: latency, UsedMemory: usedMemory}, MaxRounds)
	cutoff := at.Add(-RoundWindow)
	h.rounds.dropWhile(func(r Round, _ *Round) bool { return r.At.Before(cutoff) })
}

// ObserveProbeRound records a round of the probes package: its verdict,
// the Redis check's PING latency when PING answered (also when it was too
// slow, or a later step failed; not the time a refused connection took)
// and used memory.
func (h *History) ObserveProbeRound(r probes.Round) {
	var latency time.Duration
	var used int64
	for _, c := range r.Checks {
		if c.Kind != probes.KindRedis {
			continue
		}
		switch c.Step {
		case probes.StepURL, probes.StepConnect, probes.StepAuth, probes.StepPing:
		default:
			latency = c.Latency
		}
		used = c.UsedMemory
		break
	}
	h.ObserveRound(r.At, r.Addon.String(), latency, used)
}

// ObservePhase records that phase was entered at at, for reason.
func (h *History) ObservePhase(at time.Time, phase state.Phase, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if last, ok := h.phases.last(); ok && (at.Before(last.At) || last.Phase == phase) {
		return
	}
	h.phases.push(PhaseChange{At: at, Phase: phase, Reason: reason}, MaxPhaseChanges)
	// Keep the last change before the window: it is the phase the
	// timeline starts in.
	cutoff := at.Add(-PhaseWindow)
	h.phases.dropWhile(func(_ PhaseChange, next *PhaseChange) bool { return next != nil && !next.At.After(cutoff) })
}

// ObserveReport records a delivered drift report.
func (h *History) ObserveReport(at time.Time, status, summary string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.report = Report{At: at, Status: status, Summary: summary}
}

// Rounds returns the rounds after now-RoundWindow, oldest first.
func (h *History) Rounds(now time.Time) []Round {
	h.mu.Lock()
	defer h.mu.Unlock()
	cutoff := now.Add(-RoundWindow)
	out := make([]Round, 0, h.rounds.n)
	h.rounds.each(func(r Round) {
		if r.At.After(cutoff) {
			out = append(out, r)
		}
	})
	return out
}

// Phases returns the phase changes of the last PhaseWindow before now,
// oldest first, with the last change before the window (the phase the
// window starts in) first when it is known.
func (h *History) Phases(now time.Time) []PhaseChange {
	h.mu.Lock()
	defer h.mu.Unlock()
	cutoff := now.Add(-PhaseWindow)
	out := make([]PhaseChange, 0, h.phases.n)
	h.phases.each(func(p PhaseChange) {
		if !p.At.After(cutoff) && len(out) > 0 {
			out = out[:0] // a later change before the window supersedes
		}
		out = append(out, p)
	})
	return out
}

// LastReport returns the last report recorded, zero when none.
func (h *History) LastReport() Report {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.report
}

// ring is a FIFO of at most a given count of values that grows as used
// (so that a slow schedule costs little memory) and then overwrites its
// oldest.
type ring[T any] struct {
	buf     []T
	head, n int
}

func (r *ring[T]) push(v T, limit int) {
	if r.n == len(r.buf) && len(r.buf) < limit {
		r.grow(min(max(2*len(r.buf), 16), limit))
	}
	if r.n == len(r.buf) { // full: overwrite the oldest
		r.buf[r.head] = v
		r.head = (r.head + 1) % len(r.buf)
		return
	}
	r.buf[(r.head+r.n)%len(r.buf)] = v
	r.n++
}

func (r *ring[T]) grow(size int) {
	buf := make([]T, size)
	for i := range r.n {
		buf[i] = r.buf[(r.head+i)%len(r.buf)]
	}
	r.buf, r.head = buf, 0
}

func (r *ring[T]) at(i int) T { return r.buf[(r.head+i)%len(r.buf)] }

func (r *ring[T]) last() (T, bool) {
	if r.n == 0 {
		var zero T
		return zero, false
	}
	return r.at(r.n - 1), true
}

// dropWhile removes values from the front while drop says so; drop also
// sees the value after (nil for the last).
func (r *ring[T]) dropWhile(drop func(v T, next *T) bool) {
	for r.n > 0 {
		var next *T
		if r.n > 1 {
			nv := r.at(1)
			next = &nv
		}
		if !drop(r.at(0), next) {
			return
		}
		var zero T
		r.buf[r.head] = zero
		r.head = (r.head + 1) % len(r.buf)
		r.n--
	}
}

func (r *ring[T]) each(f func(T)) {
	for i := range r.n {
		f(r.at(i))
	}
}
