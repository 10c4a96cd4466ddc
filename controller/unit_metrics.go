package controller

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// unitVecs are the vectors of the units' series: labels name (the unit)
// and spec (its spec), then their own. A unit's series are created when it
// is added, all of them at once (every series present from the first
// scrape), and deleted when it is removed, so that nothing grows without
// bound as units come and go.
type unitVecs struct {
	phase          *prometheus.GaugeVec
	reconciles     *prometheus.CounterVec
	drift          *prometheus.GaugeVec
	rollbacks      *prometheus.CounterVec
	rollforwards   *prometheus.CounterVec
	probeDuration  *prometheus.HistogramVec
	probeFailures  *prometheus.CounterVec
	usedMemory     *prometheus.GaugeVec
	specValid      *prometheus.GaugeVec
	events         *prometheus.CounterVec
	reports        *prometheus.CounterVec
	sinkFailures   *prometheus.CounterVec
	notifyFailures *prometheus.CounterVec
	lastPass       *prometheus.GaugeVec
	lastRound      *prometheus.GaugeVec
	leader         *prometheus.GaugeVec
	leaderChanges  *prometheus.CounterVec
	interval       *prometheus.GaugeVec
}

func newUnitVecs(f factory) *unitVecs {
	l := func(extra ...string) []string { return append([]string{"name", "spec"}, extra...) }
	return &unitVecs{
		phase:         f.gaugeVec("reconciler_phase", "1 for the current phase, 0 for the others.", l("phase")...),
		reconciles:    f.counterVec("reconciler_reconcile_total", "Reconcile passes by result (ok, drift, waiting, error).", l("result")...),
		drift:         f.gaugeVec("reconciler_drift_items", "Drift items found by the last pass.", l()...),
		rollbacks:     f.counterVec("reconciler_rollbacks_total", "Rollbacks decided (automatic, flap-guard holds and manual).", l()...),
		rollforwards:  f.counterVec("reconciler_rollforwards_total", "Roll forwards decided (automatic and manual).", l()...),
		probeDuration: f.histogramVec("reconciler_probe_duration_seconds", "Latency of each check of a probe round: the PING round trip for redis, the request for an endpoint.", l("check")...),
		probeFailures: f.counterVec("reconciler_probe_failures_total", "Failed checks of probe rounds.", l("check")...),
		usedMemory:    f.gaugeVec("reconciler_redis_used_memory_bytes", "Redis used_memory at the last successful probe.", l()...),
		specValid:     f.gaugeVec("reconciler_spec_valid", "1 when the spec file as last read is valid, 0 when an edit was rejected.", l()...),
		events:        f.counterVec("reconciler_events_total", "Health transitions recorded, by event type.", l("type")...),
		reports:       f.counterVec("reconciler_reports_total", "Drift reports by result.", l("result")...),
		sinkFailures:  f.counterVec("reconciler_report_sink_failures_total", "Failed report deliveries by sink.", l("sink")...),
		notifyFailures: f.counterVec("reconciler_notification_failures_total", "Failed notification deliveries by webhook.",
			l("sink")...),
		lastPass:      f.gaugeVec("reconciler_last_reconcile_timestamp_seconds", "Unix time of the end of the last reconcile pass.", l()...),
		lastRound:     f.gaugeVec("reconciler_last_probe_timestamp_seconds", "Unix time of the last probe round.", l()...),
		leader:        f.gaugeVec("reconciler_leader", "1 on the replica that holds the unit's lock or lease, else 0.", l()...),
		leaderChanges: f.counterVec("reconciler_leader_transitions_total", "Times this replica gained or lost the unit's lease.", l()...),
		interval: f.gaugeVec("reconciler_reconcile_interval_seconds",
			"The unit's effective reconcile interval: schedule.reconcile, stretched when the Railway budget cannot cover every unit.", l()...),
	}
}

// unitMetrics are the series of one unit.
type unitMetrics struct {
	v      *unitVecs
	labels prometheus.Labels

	mu          sync.Mutex
	phaseNow    state.Phase
	leading     bool
	knownChecks map[string]bool
}

// forUnit creates every series of the unit (name, of spec specName).
func (v *unitVecs) forUnit(name, specName string) *unitMetrics {
	m := &unitMetrics{v: v, labels: prometheus.Labels{"name": name, "spec": specName}, knownChecks: map[string]bool{}}
	for _, p := range state.Phases {
		m.with(v.phase, string(p))
	}
	m.setPhase(state.Pending)
	for _, r := range passResults {
		m.withCounter(v.reconciles, r)
	}
	for _, t := range eventTypes {
		m.withCounter(v.events, t)
	}
	for _, r := range reportResults {
		m.withCounter(v.reports, r)
	}
	m.with(v.drift)
	m.withCounter(v.rollbacks)
	m.withCounter(v.rollforwards)
	m.with(v.usedMemory)
	m.with(v.specValid).Set(1)
	m.with(v.lastPass)
	m.with(v.lastRound)
	m.with(v.leader).Set(0) // 0 until this process holds the unit
	m.withCounter(v.leaderChanges)
	m.with(v.interval)
	return m
}

func (m *unitMetrics) values(extra ...string) []string {
	return append([]string{m.labels["name"], m.labels["spec"]}, extra...)
}

func (m *unitMetrics) with(g *prometheus.GaugeVec, extra ...string) prometheus.Gauge {
	return g.WithLabelValues(m.values(extra...)...)
}

func (m *unitMetrics) withCounter(c *prometheus.CounterVec, extra ...string) prometheus.Counter {
	return c.WithLabelValues(m.values(extra...)...)
}

// delete removes every series of the unit (it is no longer managed).
func (m *unitMetrics) delete() {
	v, l := m.v, prometheus.Labels{"name": m.labels["name"]}
	for _, g := range []*prometheus.GaugeVec{v.phase, v.drift, v.usedMemory, v.specValid, v.lastPass, v.lastRound, v.leader, v.interval} {
		g.DeletePartialMatch(l)
	}
	for _, c := range []*prometheus.CounterVec{v.reconciles, v.rollbacks, v.rollforwards, v.probeFailures, v.events, v.reports,
		v.sinkFailures, v.notifyFailures, v.leaderChanges} {
		c.DeletePartialMatch(l)
	}
	v.probeDuration.DeletePartialMatch(l)
}

// setLeader records whether this replica holds the unit, counting each
// change.
func (m *unitMetrics) setLeader(leading bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if leading == m.leading {
		return
	}
	m.leading = leading
	m.withCounter(m.v.leaderChanges).Inc()
	m.with(m.v.leader).Set(boolValue(leading))
}

// initChecks creates the probe series of sp's checks: "redis" and one
// "endpoint/<name>" per endpoint. Checks dropped from the spec keep their
// series (counters never go backwards).
func (m *unitMetrics) initChecks(sp *spec.Spec) {
	names := []string{string(probes.KindRedis)}
	for _, ep := range sp.Health.Endpoints {
		names = append(names, string(probes.KindEndpoint)+"/"+ep.Name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		if !m.knownChecks[n] {
			m.knownChecks[n] = true
			m.v.probeDuration.WithLabelValues(m.values(n)...)
			m.withCounter(m.v.probeFailures, n)
		}
	}
}

func (m *unitMetrics) setPhase(p state.Phase) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.phaseNow != "" {
		m.with(m.v.phase, string(m.phaseNow)).Set(0)
	}
	m.with(m.v.phase, string(p)).Set(1)
	m.phaseNow = p
}

func (m *unitMetrics) setSpecValid(ok bool) { m.with(m.v.specValid).Set(boolValue(ok)) }

func (m *unitMetrics) setDrift(n int) { m.with(m.v.drift).Set(float64(n)) }

// pass records one reconcile pass.
func (m *unitMetrics) pass(result string, drift int, at float64) {
	m.withCounter(m.v.reconciles, result).Inc()
	m.setDrift(drift)
	m.with(m.v.lastPass).Set(at)
}

// round records one probe round.
func (m *unitMetrics) round(r probes.Round) {
	for _, c := range r.Checks {
		if c.Kind == probes.KindLog {
			continue
		}
		if c.OK || c.Latency > 0 {
			m.v.probeDuration.WithLabelValues(m.values(c.Name)...).Observe(c.Latency.Seconds())
		}
		if c.Failed() && c.Step != probes.StepURL {
			// An unknown URL is an inconclusive round, not a failure.
			m.withCounter(m.v.probeFailures, c.Name).Inc()
		}
		if c.Kind == probes.KindRedis && c.OK && c.UsedMemory > 0 {
			m.with(m.v.usedMemory).Set(float64(c.UsedMemory))
		}
	}
	m.with(m.v.lastRound).Set(float64(r.At.UnixNano()) / 1e9)
}

// event records one transition: every Held is a rollback (the flap guard's
// or a person's), as is every RolledBack.
func (m *unitMetrics) event(e state.Event) {
	m.withCounter(m.v.events, e.Type).Inc()
	switch e.Type {
	case state.EventRolledBack, state.EventHeld:
		m.withCounter(m.v.rollbacks).Inc()
	case state.EventRolledForward:
		m.withCounter(m.v.rollforwards).Inc()
	}
}

func (m *unitMetrics) report(result string) { m.withCounter(m.v.reports, result).Inc() }

func (m *unitMetrics) sinkFailed(sink string) { m.withCounter(m.v.sinkFailures, sink).Inc() }

func (m *unitMetrics) notifyFailed(sink string) { m.withCounter(m.v.notifyFailures, sink).Inc() }

func (m *unitMetrics) initSink(sink string) { m.withCounter(m.v.sinkFailures, sink) }

func (m *unitMetrics) initNotify(sink string) { m.withCounter(m.v.notifyFailures, sink) }

func (m *unitMetrics) setInterval(seconds float64) { m.with(m.v.interval).Set(seconds) }
