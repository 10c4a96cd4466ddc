package report

import (
	"math"
	"time"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Version is the version of the report's JSON shape (docs/report.md). It
// changes only when a field is removed or changes meaning; fields may be
// added within a version.
const Version = 1

// Status is the one-word state a report opens with, emoji-free so that it
// reads the same in Slack, on GitHub, in a terminal and in a mail.
type Status string

// Statuses, by precedence: BLOCKED over DRIFT over WARN over OK.
const (
	// StatusOK: no drift, nothing blocked, phase Healthy.
	StatusOK Status = "OK"
	// StatusDrift: at least one drift item, nothing blocked.
	StatusDrift Status = "DRIFT"
	// StatusBlocked: at least one problem the operator cannot fix itself.
	StatusBlocked Status = "BLOCKED"
	// StatusWarn: no drift, but the phase is not Healthy (rolled back,
	// degraded, held, provisioning, unknown, ...).
	StatusWarn Status = "WARN"
)

// Input is what a report is built from.
type Input struct {
	// Spec is the spec in use; it names the report and says which values
	// are secret (webhook URLs, health.redis.url). Optional.
	Spec *spec.Spec
	// State is the state after a fresh observation pass, so that Drift,
	// Blocked and Conds are current. Required; Build does not modify it.
	State *state.State
	// Now is the report's time.
	Now time.Time
	// Secrets are further values to mask wherever they appear, such as the
	// Railway token. The spec's own secrets are always masked.
	Secrets []spec.Secret
}

// Report is one drift report. Its JSON encoding is the documented shape of
// docs/report.md: every field is always present (empty lists are [], unknown
// numbers are null), in this order.
type Report struct {
	Version     int       `json:"version"`
	Name        string    `json:"name"`
	GeneratedAt time.Time `json:"generatedAt"`
	Status      Status    `json:"status"`
	// Verdict is the report in one line, e.g. "in sync and healthy" or
	// "2 drift items, phase RolledBack since 2026-11-25 03:10 UTC".
	Verdict string `json:"verdict"`
	// IsClean is Clean() in the JSON document.
	IsClean    bool        `json:"clean"`
	Phase      state.Phase `json:"phase"`
	PhaseSince time.Time   `json:"phaseSince"`
	Period     Period      `json:"period"`
	Drift      []DriftItem `json:"drift"`
	Blocked    []string    `json:"blocked"`
	Health     Health      `json:"health"`
	Events     []Event     `json:"events"`
	// EventsTruncated is true when older events of the period were dropped
	// from the state's bounded history (state.MaxEvents).
	EventsTruncated bool        `json:"eventsTruncated"`
	Railway         Railway     `json:"railway"`
	Conditions      []Condition `json:"conditions"`

	// requestsTotal is the state's Railway request counter at Build, for
	// MarkDelivered.
	requestsTotal int64
}

// Period is the stretch of time a report covers: from the previous report
// (or the start of the health summary) to this one.
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// DriftItem is one difference between the spec and Railway. Values are
// masked (spec.MaskValue); empty fields are "".
type DriftItem struct {
	Kind    string `json:"kind"`
	Service string `json:"service"`
	Name    string `json:"name"`
	Desired string `json:"desired"`
	Actual  string `json:"actual"`
	Message string `json:"message"`
}

// Health summarises the probe rounds of the period.
type Health struct {
	// Since is when the health summary started; normally Period.From.
	Since              time.Time `json:"since"`
	Rounds             int       `json:"rounds"`
	UnhealthyRounds    int       `json:"unhealthyRounds"`
	InconclusiveRounds int       `json:"inconclusiveRounds"`
	PingLatencyMs      Latency   `json:"pingLatencyMs"`
	// PeakUsedMemoryBytes is the highest used_memory seen; null if none.
	PeakUsedMemoryBytes *int64 `json:"peakUsedMemoryBytes"`
}

// Latency is PING latency in milliseconds; every field is null when no
// round measured one. P50 and P95 come from a log-scale histogram: each is
// the upper bound of its bucket (at most twice the true value), never more
// than Max.
type Latency struct {
	P50 *float64 `json:"p50"`
	P95 *float64 `json:"p95"`
	Max *float64 `json:"max"`
}

// Event is one thing the reconciler did or saw.
type Event struct {
	At      time.Time `json:"at"`
	Type    string    `json:"type"`
	Message string    `json:"message"`
}

// Railway is the operator's use of the Railway API over the period.
type Railway struct {
	// Requests is the number of HTTP requests sent to Railway in the period.
	Requests int64 `json:"requests"`
	// RateLimitRemaining is Railway's last X-RateLimit-Remaining; null when
	// unknown.
	RateLimitRemaining *int `json:"rateLimitRemaining"`
	// MaxRequestsPerHour is the operator's own budget (0 when unknown).
	MaxRequestsPerHour int `json:"maxRequestsPerHour"`
	// LastObservation is the time of the last Railway read; null if none.
	LastObservation *time.Time `json:"lastObservation"`
	// ObservationOK is false when the last Railway read failed: drift is
	// then as of the last successful read.
	ObservationOK    bool   `json:"observationOk"`
	ObservationError string `json:"observationError"`
}

// Condition is a status condition (CONTRACT section 7).
type Condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	Reason             string    `json:"reason"`
	Message            string    `json:"message"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

// Build builds the report of in.State at in.Now. It is pure: no I/O, and
// in.State is not modified. Every string goes through the secret scrub.
func Build(in Input) *Report {
	st := in.State
	sc := newScrubber(SecretsOf(in.Spec, in.Secrets...)...)
	now := in.Now.UTC()
	r := &Report{
		Version:     Version,
		Name:        st.Name,
		GeneratedAt: now,
		Phase:       st.Phase,
		PhaseSince:  st.Since.UTC(),
		Period:      Period{From: periodStart(st).UTC(), To: now},
		Drift:       driftOf(st.Drift, sc),
		Blocked:     sc.Strings(st.Blocked),
		Health:      healthOf(&st.Summary),
		Railway:     railwayOf(in.Spec, st, sc),
		Conditions:  conditionsOf(st.Conds, sc),

		requestsTotal: st.Observed.Requests,
	}
	if in.Spec != nil && in.Spec.Name != "" {
		r.Name = in.Spec.Name
	}
	r.Events, r.EventsTruncated = eventsOf(st, sc)
	r.IsClean = r.Clean()
	r.Status = statusOf(r)
	r.Verdict = sc.String(verdictOf(r))
	return r
}

// Clean reports whether there is neither drift nor a blocked item: the exit
// code of `reconciler report` is 0 when clean, 2 otherwise. A phase other
// than Healthy (a rollback, say) is not drift.
func (r *Report) Clean() bool { return len(r.Drift) == 0 && len(r.Blocked) == 0 }

// periodStart is the previous report's time, or the start of the health
// summary before the first report.
func periodStart(st *state.State) time.Time {
	if !st.Report.LastAt.IsZero() {
		return st.Report.LastAt
	}
	return st.Summary.Since
}

func driftOf(items []state.DriftItem, sc *scrubber) []DriftItem {
	out := make([]DriftItem, 0, len(items))
	for _, d := range items {
		out = append(out, DriftItem{
			Kind: d.Kind, Service: sc.String(d.Service), Name: sc.String(d.Name),
			Desired: sc.String(d.Desired), Actual: sc.String(d.Actual), Message: sc.String(d.Message),
		})
	}
	return out
}

func healthOf(h *state.HealthSummary) Health {
	out := Health{
		Since: h.Since.UTC(), Rounds: h.Rounds,
		UnhealthyRounds: h.UnhealthyRounds, InconclusiveRounds: h.Inconclusive,
	}
	if h.MaxLatency > 0 {
		out.PingLatencyMs = Latency{P50: ms(h.Quantile(0.5)), P95: ms(h.Quantile(0.95)), Max: ms(h.MaxLatency)}
	}
	if h.PeakUsedMemory > 0 {
		peak := h.PeakUsedMemory
		out.PeakUsedMemoryBytes = &peak
	}
	return out
}

// ms converts d to milliseconds, rounded to the microsecond.
func ms(d time.Duration) *float64 {
	v := math.Round(float64(d)/float64(time.Microsecond)) / 1000
	return &v
}

// eventsOf returns the events since the previous report, and whether older
// events of the period may have been dropped from the bounded history.
func eventsOf(st *state.State, sc *scrubber) ([]Event, bool) {
	since := st.EventsSince(st.Report.LastAt)
	out := make([]Event, 0, len(since))
	for _, e := range since {
		out = append(out, Event{At: e.At.UTC(), Type: e.Type, Message: sc.String(e.Message)})
	}
	truncated := len(st.Events) >= state.MaxEvents &&
		(st.Report.LastAt.IsZero() || st.Events[0].At.After(st.Report.LastAt))
	return out, truncated
}

func railwayOf(sp *spec.Spec, st *state.State, sc *scrubber) Railway {
	ob := st.Observed
	used := ob.Requests - st.Report.RequestsAtLast
	if used < 0 {
		// The counter restarted (a new state file): all of it is ours.
		used = ob.Requests
	}
	r := Railway{Requests: used, ObservationOK: ob.OK, ObservationError: sc.String(ob.Error)}
	if !ob.At.IsZero() {
		at := ob.At.UTC()
		r.LastObservation = &at
	}
	if ob.RateLimitRemaining >= 0 {
		remaining := ob.RateLimitRemaining
		r.RateLimitRemaining = &remaining
	}
	if sp != nil {
		r.MaxRequestsPerHour = sp.Railway.MaxRequestsPerHour
	}
	return r
}

func conditionsOf(conds []state.Condition, sc *scrubber) []Condition {
	out := make([]Condition, 0, len(conds))
	for _, c := range conds {
		out = append(out, Condition{
			Type: c.Type, Status: c.Status, Reason: sc.String(c.Reason),
			Message: sc.String(c.Message), LastTransitionTime: c.LastTransitionTime.UTC(),
		})
	}
	return out
}
