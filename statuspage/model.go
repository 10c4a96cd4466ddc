package statuspage

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

// unitModel is what a unit's page shows. Every string in it has been
// through clean.
type unitModel struct {
	Name       string
	Phase      string
	PhaseClass string
	Since      stamp
	Reason     string
	SpecValid  bool
	SpecErrors []string
	Conditions []condModel
	Rollback   rollbackModel
	Timeline   timelineModel
	Latency    chartModel
	Memory     chartModel
	Deploys    []deployModel
	// Events are the newest events, OlderEvents the rest (folded).
	Events      []eventModel
	OlderEvents []eventModel
	Drift       []driftModel
	Blocked     []string
	Report      reportModel
	Probe       *probeModel
	Railway     railwayModel
}

type condModel struct {
	Type, Status, Class, Reason, Message string
	Since                                stamp
}

type deployModel struct{ Service, DeploymentID, Status, Reason string }

type eventModel struct {
	At         stamp
	Type       string
	Class      string
	Message    string
	Deployment string
}

type driftModel struct{ Kind, Service, Name, Desired, Actual, Message string }

type reportModel struct {
	At      stamp
	Status  string
	Summary string
}

type probeModel struct {
	At      stamp
	Verdict string
	Class   string
	Reason  string
	Checks  []checkModel
}

type checkModel struct {
	Name, Latency, Message, Class string
	OK                            bool
}

type railwayModel struct {
	LastObservation stamp
	OK              bool
	Error           string
	Requests        int64
	RateLimit       string
}

// shownEvents is how many events are listed before the fold.
const shownEvents = 15

// buildUnit turns a view into the unit page's model at now.
func buildUnit(v View, now time.Time) unitModel {
	st := v.Status
	var rounds []Round
	var phases []PhaseChange
	if v.History != nil {
		rounds, phases = v.History.Rounds(now), v.History.Phases(now)
	}
	evs := events(st.Events, now)
	older := []eventModel(nil)
	if len(evs) > shownEvents {
		evs, older = evs[:shownEvents], evs[shownEvents:]
	}
	return unitModel{
		Events: evs, OlderEvents: older,
		Name: clean(st.Name), Phase: string(st.Phase), PhaseClass: phaseClass(st.Phase),
		Since: stampOf(st.Since, now), Reason: clean(phaseReason(v, phases)),
		SpecValid: st.SpecValid, SpecErrors: cleanAll(st.SpecErrors),
		Conditions: conditions(st.Conditions, now), Rollback: buildRollback(v, now),
		Timeline: buildTimeline(phases, st.Phase, st.Since, now),
		Latency:  latencyChart(rounds, now), Memory: memoryChart(rounds, now),
		Deploys: deploys(st.Deploys), Drift: drift(st.Drift),
		Blocked: cleanAll(st.Blocked), Report: lastReport(v, now), Probe: probe(st.LastProbe, now),
		Railway: railwayOf(st.Railway, now),
	}
}

// phaseReason says why the unit is in its phase: the reason recorded with
// the change into it, else what the health machine and Railway say.
func phaseReason(v View, phases []PhaseChange) string {
	st, h := v.Status, v.Health
	if n := len(phases); n > 0 && phases[n-1].Phase == st.Phase && phases[n-1].Reason != "" {
		return phases[n-1].Reason
	}
	switch {
	case st.Phase == state.Held:
		return h.HoldReason
	case st.Phase == state.Unknown:
		return st.Railway.ObservationError
	case st.Phase == state.RolledBack && h.Decision != "":
		return h.Decision
	case st.Phase == state.Degraded && h.LastReason != "":
		return "redis unhealthy: " + h.LastReason
	}
	if c, ok := condition(st.Conditions, state.CondReady); ok {
		return c.Message
	}
	return ""
}

func phaseClass(p state.Phase) string {
	switch p {
	case state.Healthy:
		return "ok"
	case state.Degraded, state.Recovering, state.Provisioning:
		return "warn"
	case state.RolledBack, state.Held, state.Unknown:
		return "bad"
	}
	return "none"
}

// conditions returns the six condition types in contract order, each as
// recorded or Unknown when not evaluated yet.
func conditions(cs []state.Condition, now time.Time) []condModel {
	out := make([]condModel, 0, len(state.ConditionTypes))
	for _, typ := range state.ConditionTypes {
		c, ok := condition(cs, typ)
		if !ok {
			out = append(out, condModel{Type: typ, Status: state.UnknownStatus, Class: "none", Message: "not evaluated yet"})
			continue
		}
		out = append(out, condModel{Type: typ, Status: c.Status, Class: condClass(c), Reason: clean(c.Reason),
			Message: clean(c.Message), Since: stampOf(c.LastTransitionTime, now)})
	}
	return out
}

// condClass colours a condition: RolledBack is abnormal-true.
func condClass(c state.Condition) string {
	good := state.True
	if c.Type == state.CondRolledBack {
		good = state.False
	}
	switch c.Status {
	case good:
		return "ok"
	case state.UnknownStatus:
		return "none"
	}
	return "bad"
}

func deploys(ds []reconcile.DeployStatus) []deployModel {
	out := make([]deployModel, 0, len(ds))
	for _, d := range ds {
		out = append(out, deployModel{Service: clean(d.Service), DeploymentID: clean(d.DeploymentID),
			Status: clean(d.Status), Reason: clean(d.Reason)})
	}
	return out
}

// deploymentID finds a Railway deployment id (a UUID) in an event message:
// "deploying backend (ID): …", "backend deployment ID is SUCCESS".
var deploymentID = regexp.MustCompile(`(deployment |deploying \S+ \()([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})`)

// deploymentIn returns the first deployment id msg mentions, skipping the
// workflow id of a "template deployment".
func deploymentIn(msg string) string {
	for _, m := range deploymentID.FindAllStringSubmatchIndex(msg, -1) {
		if !strings.HasSuffix(msg[:m[0]], "template ") {
			return msg[m[4]:m[5]]
		}
	}
	return ""
}

// events returns the events newest first, each with the deployment id it
// mentions.
func events(evs []state.Event, now time.Time) []eventModel {
	out := make([]eventModel, 0, len(evs))
	for _, e := range slices.Backward(evs) {
		msg := clean(e.Message)
		out = append(out, eventModel{At: stampOf(e.At, now), Type: clean(e.Type), Class: eventClass(e.Type),
			Message: msg, Deployment: deploymentIn(msg)})
	}
	return out
}

func eventClass(typ string) string {
	switch typ {
	case state.EventRolledBack, state.EventHeld, state.EventDegraded, state.EventDeployFailed,
		state.EventAddonCreateFailed, state.EventAddonCreateAmbiguous, state.EventAddonCreateRetry,
		state.EventAddonMissing, state.EventObservationFailed, state.EventRecoveryInterrupted:
		return "bad"
	case state.EventRolledForward, state.EventRecovered, state.EventBound, state.EventDeployed,
		state.EventAddonCreated, state.EventObservationOK:
		return "ok"
	}
	return "none"
}

// shown is a drift value as displayed: "" (unset or empty) made visible.
func shown(v string) string {
	if v == "" {
		return `""`
	}
	return clean(v)
}

func drift(items []state.DriftItem) []driftModel {
	out := make([]driftModel, 0, len(items))
	for _, d := range items {
		out = append(out, driftModel{Kind: clean(d.Kind), Service: clean(d.Service), Name: clean(d.Name),
			Desired: shown(d.Desired), Actual: shown(d.Actual), Message: clean(d.Message)})
	}
	return out
}

// lastReport prefers the History's record (it has the summary) when it is
// at least as recent as the state's.
func lastReport(v View, now time.Time) reportModel {
	var r Report
	if v.History != nil {
		r = v.History.LastReport()
	}
	if r.At.IsZero() || r.At.Before(v.LastReportAt) {
		r = Report{At: v.LastReportAt}
	}
	return reportModel{At: stampOf(r.At, now), Status: clean(r.Status), Summary: clean(r.Summary)}
}

func probe(p *state.Probe, now time.Time) *probeModel {
	if p == nil {
		return nil
	}
	m := &probeModel{At: stampOf(p.At, now), Verdict: clean(p.Verdict), Class: verdictClass(p.Verdict), Reason: clean(p.Reason)}
	for _, c := range p.Checks {
		cm := checkModel{Name: clean(c.Name), OK: c.OK, Message: clean(c.Message), Class: "bad"}
		if c.OK {
			cm.Class = "ok"
		}
		if c.LatencyMs > 0 {
			cm.Latency = formatMs(c.LatencyMs)
		}
		m.Checks = append(m.Checks, cm)
	}
	return m
}

func verdictClass(v string) string {
	switch v {
	case probes.VerdictHealthy.String():
		return "ok"
	case probes.VerdictUnhealthy.String():
		return "bad"
	}
	return "none"
}

func railwayOf(r reconcile.RailwayStatus, now time.Time) railwayModel {
	m := railwayModel{LastObservation: stampOf(r.LastObservation, now), OK: r.ObservationOK,
		Error: clean(r.ObservationError), Requests: r.Requests, RateLimit: "unknown"}
	if r.RateLimitRemaining >= 0 {
		m.RateLimit = strconv.Itoa(r.RateLimitRemaining)
	}
	return m
}

// formatMs renders milliseconds with a precision that suits their size.
func formatMs(ms float64) string {
	switch {
	case ms < 1:
		return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
	case ms < 100:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
}
