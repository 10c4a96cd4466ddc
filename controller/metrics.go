package controller

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/state"
)

// Label values known in advance, so every series exists from the first
// scrape.
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
// own. Every reconciler_* series carries the label name: the unit's name
// for the series of one unit (with spec, the spec it comes from: the same
// name, or NAME for the unit NAME/ENV of a generator), and the process's
// name (the spec's in a single-spec run, "fleet" otherwise) for the series
// of the process (the Railway client, the state backend, the build).
type metrics struct {
	reg   *prometheus.Registry
	units *unitVecs

	requests      *prometheus.CounterVec
	railwayBudget prometheus.Gauge
}

// metricSources are read at scrape time.
type metricSources struct {
	// railway reads the Railway client's accounting; false while starting.
	railway func() (railway.Stats, bool)
	// backendUp is 1 while the state backend can be reached.
	backendUp func() float64
}

// newMetrics registers the process's series under name, and the vectors
// of the units' series (a unit's appear when it is added).
func newMetrics(name string, src metricSources) *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{prometheus.WrapRegistererWith(prometheus.Labels{"name": name}, reg)}
	m := &metrics{reg: reg, units: newUnitVecs(factory{reg})}
	m.requests = f.counterVec("reconciler_railway_requests_total", "HTTP requests to Railway's API by operation and result.", "operation", "result")
	registerRailwayStats(f, src.railway)
	f.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "reconciler_state_backend_up",
		Help: "1 while the state backend (the file, or PostgreSQL) can be reached; 0 while it cannot (no replica acts then)."}, src.backendUp))
	m.railwayBudget = f.gauge("reconciler_railway_max_requests_per_hour",
		"The client's own Railway budget: the smallest railway.maxRequestsPerHour of the specs sharing it (requests in any hour, retries included).")
	for _, op := range railwayOps {
		for _, r := range railwayResults {
			m.requests.WithLabelValues(op, r)
		}
	}
	return m
}

// setRailwayBudget exposes the client's budget.
func (m *metrics) setRailwayBudget(perHour int) {
	m.railwayBudget.Set(float64(perHour))
}

// buildInfo exports reconciler_build_info{version,commit,goversion} = 1,
// labelled with the process's name, so that a scrape identifies the image
// deployed.
func (m *metrics) buildInfo(name, version, commit string) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "reconciler_build_info",
		Help:        "Always 1: the running binary's version, VCS commit and Go version.",
		ConstLabels: prometheus.Labels{"name": name}}, []string{"version", "commit", "goversion"})
	m.reg.MustRegister(g)
	g.WithLabelValues(version, commit, runtime.Version()).Set(1)
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

func (f factory) histogramVec(name, help string, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: probeBuckets}, labels)
	f.reg.MustRegister(h)
	return h
}
