package controller

import (
	"runtime"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Label values known in advance, so every series exists from the first
// scrape (CONTRACT section 7).
var (
	passResults = []string{"ok", "drift", "waiting", "error"}
	// railwayOps are the operations the client sends (railway.Op*).
	railwayOps = []string{
		railway.OpAPIToken, railway.OpMe, railway.OpProjectAccess, railway.OpProjectToken, railway.OpProject,
		railway.OpObserve, railway.OpObserveInstances, railway.OpRenderedVariables, railway.OpTemplate,
		railway.OpDeployTemplate, railway.OpWorkflowStatus, railway.OpUpsertVariables,
		railway.OpDeployService, railway.OpDeployment, railway.OpDeploymentLogs,
	}
	// railwayResults are the results railway.Options.OnRequest reports.
	railwayResults = []string{"ok", "graphql_error", "not_found", "unauthorized", "rate_limited", "edge_blocked", "transient", "budget"}
	eventTypes     = []string{
		state.EventDegraded, state.EventRecovered, state.EventRolledBack, state.EventHeld,
		state.EventRecovering, state.EventRecoveryInterrupted, state.EventRolledForward, state.EventBound,
	}
	reportResults = []string{"ok", "error"}
	// probeBuckets span a loopback PING (0.1 ms) to a timed-out check.
	probeBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
)

// metrics are the controller's Prometheus series, on a registry of their
// own. Every reconciler_* series carries the label name.
type metrics struct {
	reg *prometheus.Registry

	phase          *prometheus.GaugeVec
	reconciles     *prometheus.CounterVec
	drift          prometheus.Gauge
	rollbacks      prometheus.Counter
	rollforwards   prometheus.Counter
	probeDuration  *prometheus.HistogramVec
	probeFailures  *prometheus.CounterVec
	usedMemory     prometheus.Gauge
	requests       *prometheus.CounterVec
	specValid      prometheus.Gauge
	events         *prometheus.CounterVec
	reports        *prometheus.CounterVec
	sinkFailures   *prometheus.CounterVec
	notifyFailures *prometheus.CounterVec
	lastPass       prometheus.Gauge
	lastRound      prometheus.Gauge
	leader         prometheus.Gauge
	leaderChanges  prometheus.Counter
	railwayBudget  prometheus.Gauge

	mu          sync.Mutex
	phaseNow    state.Phase
	leading     bool
	knownChecks map[string]bool
}

// newMetrics registers every series. rateLimit reads Railway's last
// X-RateLimit-Remaining (-1 while unknown) at scrape time.
// metricSources are read at scrape time.
type metricSources struct {
	// railway reads the Railway client's accounting; false while starting.
	railway func() (railway.Stats, bool)
	// backendUp is 1 while the state backend can be reached.
	backendUp func() float64
}

func newMetrics(name string, src metricSources) *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{prometheus.WrapRegistererWith(prometheus.Labels{"name": name}, reg)}
	m := &metrics{reg: reg, knownChecks: map[string]bool{}}
	m.phase = f.gaugeVec("reconciler_phase", "1 for the current phase, 0 for the others.", "phase")
	m.reconciles = f.counterVec("reconciler_reconcile_total", "Reconcile passes by result (ok, drift, waiting, error).", "result")
	m.drift = f.gauge("reconciler_drift_items", "Drift items found by the last pass.")
	m.rollbacks = f.counter("reconciler_rollbacks_total", "Rollbacks decided (automatic, flap-guard holds and manual).")
	m.rollforwards = f.counter("reconciler_rollforwards_total", "Roll forwards decided (automatic and manual).")
	m.probeDuration = f.histogramVec("reconciler_probe_duration_seconds",
		"Latency of each check of a probe round: the PING round trip for redis, the request for an endpoint.", "check")
	m.probeFailures = f.counterVec("reconciler_probe_failures_total", "Failed checks of probe rounds.", "check")
	m.usedMemory = f.gauge("reconciler_redis_used_memory_bytes", "Redis used_memory at the last successful probe.")
	m.requests = f.counterVec("reconciler_railway_requests_total", "HTTP requests to Railway's API by operation and result.", "operation", "result")
	registerRailwayStats(f, src.railway)
	f.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "reconciler_state_backend_up",
		Help: "1 while the state backend (the file, or PostgreSQL) can be reached; 0 while it cannot (no replica acts then)."}, src.backendUp))
	m.specValid = f.gauge("reconciler_spec_valid", "1 when the spec file as last read is valid, 0 when an edit was rejected.")
	m.events = f.counterVec("reconciler_events_total", "Health transitions recorded, by event type.", "type")
	m.reports = f.counterVec("reconciler_reports_total", "Drift reports by result.", "result")
	m.sinkFailures = f.counterVec("reconciler_report_sink_failures_total", "Failed report deliveries by sink.", "sink")
	m.notifyFailures = f.counterVec("reconciler_notification_failures_total", "Failed notification deliveries by webhook.", "sink")
	m.lastPass = f.gauge("reconciler_last_reconcile_timestamp_seconds", "Unix time of the end of the last reconcile pass.")
	m.lastRound = f.gauge("reconciler_last_probe_timestamp_seconds", "Unix time of the last probe round.")
	m.leader = f.gauge("reconciler_leader", "1 on the replica that holds the lease (always, with the file backend), else 0.")
	m.leaderChanges = f.counter("reconciler_leader_transitions_total", "Times this replica gained or lost the lease.")
	m.railwayBudget = f.gauge("reconciler_railway_max_requests_per_hour",
		"The client's own Railway budget, railway.maxRequestsPerHour (requests in any hour, retries included).")
	m.preinit()
	return m
}

func (m *metrics) preinit() {
	for _, p := range state.Phases {
		m.phase.WithLabelValues(string(p))
	}
	m.setPhase(state.Pending)
	for _, r := range passResults {
		m.reconciles.WithLabelValues(r)
	}
	for _, op := range railwayOps {
		for _, r := range railwayResults {
			m.requests.WithLabelValues(op, r)
		}
	}
	for _, t := range eventTypes {
		m.events.WithLabelValues(t)
	}
	for _, r := range reportResults {
		m.reports.WithLabelValues(r)
	}
	m.specValid.Set(1)
	// 0 until this process holds the unit's lock or lease (a leadership
	// term starts): a standby is not the leader.
	m.leader.Set(0)
}

// setLeader records whether this replica holds the lease, counting each
// change.
func (m *metrics) setLeader(leading bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if leading == m.leading {
		return
	}
	m.leading = leading
	m.leaderChanges.Inc()
	if leading {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

// setRailwayBudget exposes railway.maxRequestsPerHour, a field that only
// changes at a restart.
func (m *metrics) setRailwayBudget(perHour int) {
	m.railwayBudget.Set(float64(perHour))
}

// initChecks creates the probe series of sp's checks: "redis" and one
// "endpoint/<name>" per endpoint. Checks dropped from the spec keep their
// series (counters never go backwards).
func (m *metrics) initChecks(sp *spec.Spec) {
	names := []string{string(probes.KindRedis)}
	for _, ep := range sp.Health.Endpoints {
		names = append(names, string(probes.KindEndpoint)+"/"+ep.Name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		if !m.knownChecks[n] {
			m.knownChecks[n] = true
			m.probeDuration.WithLabelValues(n)
			m.probeFailures.WithLabelValues(n)
		}
	}
}

func (m *metrics) setPhase(p state.Phase) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.phaseNow != "" {
		m.phase.WithLabelValues(string(m.phaseNow)).Set(0)
	}
	m.phase.WithLabelValues(string(p)).Set(1)
	m.phaseNow = p
}

func (m *metrics) setSpecValid(ok bool) {
	if ok {
		m.specValid.Set(1)
	} else {
		m.specValid.Set(0)
	}
}

// round records one probe round.
func (m *metrics) round(r probes.Round) {
	for _, c := range r.Checks {
		if c.Kind == probes.KindLog {
			continue
		}
		if c.OK || c.Latency > 0 {
			m.probeDuration.WithLabelValues(c.Name).Observe(c.Latency.Seconds())
		}
		if c.Failed() && c.Step != probes.StepURL {
			// An unknown URL is an inconclusive round, not a failure.
			m.probeFailures.WithLabelValues(c.Name).Inc()
		}
		if c.Kind == probes.KindRedis && c.OK && c.UsedMemory > 0 {
			m.usedMemory.Set(float64(c.UsedMemory))
		}
	}
	m.lastRound.Set(float64(r.At.UnixNano()) / 1e9)
}

// event records one transition: every Held is a rollback (the flap guard's
// or a person's), as is every RolledBack.
func (m *metrics) event(e state.Event) {
	m.events.WithLabelValues(e.Type).Inc()
	switch e.Type {
	case state.EventRolledBack, state.EventHeld:
		m.rollbacks.Inc()
	case state.EventRolledForward:
		m.rollforwards.Inc()
	}
}

// registerRailwayStats exposes the Railway client's accounting, read at
// scrape time: Railway's own rate limit, the reserve kept for rollbacks, and
// Cloudflare's edge block. stats reports false while there is no client.
func registerRailwayStats(f factory, stats func() (railway.Stats, bool)) {
	gauge := func(name, help string, v func(railway.Stats) float64, none float64) {
		f.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			s, ok := stats()
			if !ok {
				return none
			}
			return v(s)
		}))
	}
	gauge("reconciler_railway_rate_limit_remaining", "Railway's last X-RateLimit-Remaining; -1 until Railway has answered.",
		func(s railway.Stats) float64 {
			if !s.RateLimitKnown {
				return -1
			}
			return float64(s.RateLimitRemaining)
		}, -1)
	gauge("reconciler_railway_rate_limit_reserved", "1 while the last 10% of Railway's limit is kept for rollbacks and deploys (other calls wait for the reset).",
		func(s railway.Stats) float64 { return boolValue(s.Reserved) }, 0)
	gauge("reconciler_railway_edge_blocked_until_timestamp_seconds",
		"Unix time of the next attempt allowed while Cloudflare's edge blocks Railway's API (HTTP 429 error code 1015); 0 when not blocked.",
		func(s railway.Stats) float64 {
			if s.BlockedUntil.IsZero() {
				return 0
			}
			return float64(s.BlockedUntil.UnixNano()) / 1e9
		}, 0)
	f.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "reconciler_railway_edge_blocks_total",
		Help: "Edge-block answers (HTTP 429 error code 1015) that started or extended a block."}, func() float64 {
		s, _ := stats()
		return float64(s.EdgeBlocks)
	}))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// factory registers series on one registerer.
type factory struct{ reg prometheus.Registerer }

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) gaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

// buildInfo exports reconciler_build_info{version,commit,goversion} = 1 on
// m's registry, labelled with the spec's name like every series, so that
// a scrape identifies the image deployed.
func (m *metrics) buildInfo(name, version, commit string) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "reconciler_build_info",
		Help:        "Always 1: the running binary's version, VCS commit and Go version.",
		ConstLabels: prometheus.Labels{"name": name}}, []string{"version", "commit", "goversion"})
	m.reg.MustRegister(g)
	g.WithLabelValues(version, commit, runtime.Version()).Set(1)
}

func (f factory) histogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: probeBuckets}, labels)
	f.reg.MustRegister(h)
	return h
}
