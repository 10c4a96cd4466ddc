package controller_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/state"
)

// endpointSpec adds a consumer health endpoint (served by an httptest
// server that reports Redis connected).
func endpointSpec(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"redis":"connected"}`))
	}))
	t.Cleanup(srv.Close)
	return `health:
  probeTimeout: 100ms
  endpoints:
    - name: backend
      url: ` + srv.URL + `/v1/health
      expect:
        - field: redis
          equals: connected
`
}

func TestMetricsFromTheFirstScrape(t *testing.T) {
	h := newHarness(t)
	h.writeRaw(replaceHealth(specText(t, h), endpointSpec(t)))
	// A slow Railway keeps the first pass from finishing before the scrape.
	h.sim.SetFaults(railwayLatency(500 * time.Millisecond))
	h.start(nil)
	h.waitFor(5*time.Second, "the HTTP server", func() bool { code, _ := h.get("/healthz"); return code == http.StatusOK })
	fams := h.scrape()

	name := map[string]string{"name": "smartlic-test"}
	with := func(k, v string) map[string]string { return map[string]string{"name": "smartlic-test", k: v} }
	for _, p := range state.Phases {
		want := 0.0
		if p == state.Pending {
			want = 1
		}
		if v, ok := value(fams, "reconciler_phase", with("phase", string(p))); !ok || v != want {
			t.Errorf("reconciler_phase{phase=%s} = %v, %v; want %v", p, v, ok, want)
		}
	}
	for _, r := range []string{"ok", "drift", "waiting", "error"} {
		if _, ok := value(fams, "reconciler_reconcile_total", with("result", r)); !ok {
			t.Errorf("reconciler_reconcile_total{result=%s} missing", r)
		}
	}
	for _, c := range []string{"redis", "endpoint/backend"} {
		for _, m := range []string{"reconciler_probe_duration_seconds", "reconciler_probe_failures_total"} {
			if _, ok := value(fams, m, with("check", c)); !ok {
				t.Errorf("%s{check=%s} missing", m, c)
			}
		}
	}
	for _, op := range []string{"Observe", "UpsertVariables", "DeployService", "DeployTemplate"} {
		for _, r := range []string{"ok", "transient", "rate_limited", "unauthorized"} {
			if _, ok := value(fams, "reconciler_railway_requests_total", map[string]string{"name": "smartlic-test", "operation": op, "result": r}); !ok {
				t.Errorf("reconciler_railway_requests_total{operation=%s,result=%s} missing", op, r)
			}
		}
	}
	for _, m := range []string{"reconciler_drift_items", "reconciler_rollbacks_total", "reconciler_rollforwards_total",
		"reconciler_redis_used_memory_bytes", "reconciler_railway_rate_limit_remaining", "reconciler_spec_valid"} {
		if _, ok := value(fams, m, name); !ok {
			t.Errorf("%s{name=smartlic-test} missing", m)
		}
	}
	if v, _ := value(fams, "reconciler_spec_valid", name); v != 1 {
		t.Errorf("reconciler_spec_valid = %v, want 1", v)
	}
	if f := fams["reconciler_probe_duration_seconds"]; f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("reconciler_probe_duration_seconds is not a histogram")
	}

	// Once running, the series move.
	h.sim.SetFaults(railwayLatency(0))
	h.converge()
	fams = h.scrape()
	if v, _ := value(fams, "reconciler_probe_duration_seconds", with("check", "redis")); v == 0 {
		t.Error("no redis probe observed in reconciler_probe_duration_seconds")
	}
	if v, _ := value(fams, "reconciler_redis_used_memory_bytes", name); v <= 0 {
		t.Errorf("reconciler_redis_used_memory_bytes = %v, want > 0", v)
	}
	if v, _ := value(fams, "reconciler_railway_requests_total",
		map[string]string{"name": "smartlic-test", "operation": "Observe", "result": "ok"}); v == 0 {
		t.Error("no Observe request counted")
	}
	if v, _ := value(fams, "reconciler_railway_rate_limit_remaining", name); v < 0 {
		t.Errorf("reconciler_railway_rate_limit_remaining = %v once Railway answered", v)
	}
}

func TestStatusDocumentHoldsEveryContractField(t *testing.T) {
	h := newHarness(t)
	h.converge()
	doc := h.statusDoc()
	for _, k := range []string{"name", "phase", "since", "specValid", "conditions", "drift", "lastProbe", "events"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("/status lacks %q", k)
		}
	}
	if doc["name"] != "smartlic-test" || doc["phase"] != "Healthy" || doc["specValid"] != true {
		t.Errorf("/status name %v phase %v specValid %v", doc["name"], doc["phase"], doc["specValid"])
	}
	conds, _ := doc["conditions"].([]any)
	types := map[string]bool{}
	for _, c := range conds {
		m := c.(map[string]any)
		for _, k := range []string{"type", "status", "reason", "message", "lastTransitionTime"} {
			if _, ok := m[k]; !ok {
				t.Errorf("condition %v lacks %q", m["type"], k)
			}
		}
		types[m["type"].(string)] = true
	}
	for _, ty := range state.ConditionTypes {
		if !types[ty] {
			t.Errorf("condition %s missing from /status", ty)
		}
	}
	probe, _ := doc["lastProbe"].(map[string]any)
	for _, k := range []string{"at", "healthy", "checks"} {
		if _, ok := probe[k]; !ok {
			t.Errorf("lastProbe lacks %q", k)
		}
	}
	checks, _ := probe["checks"].([]any)
	if len(checks) == 0 {
		t.Fatal("lastProbe has no checks")
	}
	for _, k := range []string{"name", "ok", "latencyMs", "message"} {
		if _, ok := checks[0].(map[string]any)[k]; !ok {
			t.Errorf("lastProbe.checks[0] lacks %q", k)
		}
	}
	evs, _ := doc["events"].([]any)
	if len(evs) == 0 {
		t.Fatal("no events after converging")
	}
	for _, k := range []string{"at", "type", "message"} {
		if _, ok := evs[0].(map[string]any)[k]; !ok {
			t.Errorf("events[0] lacks %q", k)
		}
	}
	if ct := contentType(t, h, "/status"); ct != "application/json" {
		t.Errorf("/status Content-Type = %q", ct)
	}
}

func contentType(t *testing.T, h *harness, path string) string {
	resp, err := http.Get(h.base + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Content-Type")
}

func railwayLatency(d time.Duration) railwaytest.Faults { return railwaytest.Faults{Latency: d} }

// replaceHealth swaps the spec's health section for health.
func replaceHealth(doc, health string) string {
	start := strings.Index(doc, "health:\n")
	end := strings.Index(doc, "rollback:\n")
	return doc[:start] + health + doc[end:]
}

// failOp answers 401 to the Railway operation op while fail is set, and
// passes every other request through.
type failOp struct {
	op   string
	fail *atomic.Bool
}

func (f failOp) RoundTrip(r *http.Request) (*http.Response, error) {
	if !f.fail.Load() || r.Body == nil {
		return http.DefaultTransport.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	if bytes.Contains(body, []byte(`"operationName":"`+f.op+`"`)) {
		return &http.Response{StatusCode: http.StatusUnauthorized, Status: "401 Unauthorized", Request: r,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(`{"errors":[{"message":"Not Authorized"}]}`))}, nil
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultTransport.RoundTrip(r2)
}

// /readyz answers 503 with why the observation failed until one succeeds,
// then stays 200 through later failures (CONTRACT section 7).
func TestReadyOnceOneObservationSucceeded(t *testing.T) {
	h := newHarness(t)
	var fail atomic.Bool
	fail.Store(true)
	h.start(func(o *controller.Options) {
		o.HTTPClient = &http.Client{Transport: failOp{op: railway.OpObserve, fail: &fail}}
	})
	h.waitFor(5*time.Second, "/readyz 503 with the observation error", func() bool {
		code, body := h.get("/readyz")
		return code == http.StatusServiceUnavailable && strings.HasPrefix(string(body), "no successful railway observation yet: ")
	})

	// The 401 is permanent: passes back off (a minute at first); a SIGHUP
	// asks for an attempt at once.
	fail.Store(false)
	h.ctrl.Reload()
	h.waitFor(5*time.Second, "/readyz 200", func() bool { code, _ := h.get("/readyz"); return code == http.StatusOK })

	fail.Store(true)
	h.waitFor(5*time.Second, "a failed observation", func() bool {
		st, _ := h.ctrl.Status()
		return !st.Railway.ObservationOK && st.Railway.ObservationError != ""
	})
	if code, body := h.get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %s after a later failed observation, want 200", code, body)
	}
}
