package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/robfig/cron/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

const testToken = "tok-ctrl-5d2e8a0c4b6f1e3d7a9c0b2e4f6a"

// speedup divides every "@every" schedule of a loaded spec, so that tests
// run the real code on intervals the spec format cannot express (whole
// seconds only).
const speedup = 5

// harness is a Railway simulator with a project holding a deployed
// `backend`, a real redis-server bound to the addon the controller will
// create, a spec file, and a controller running on it.
type harness struct {
	t         *testing.T
	sim       *railwaytest.Server
	redis     *redisserver.Server
	projectID string
	envID     string
	backendID string
	dir       string
	specPath  string
	statePath string
	env       map[string]string
	logs      *observer.ObservedLogs
	log       *zap.Logger

	ctrl   *controller.Controller
	base   string
	cancel context.CancelFunc
	done   chan error
}

// specDoc is the test spec for a failure threshold, with extra top-level
// YAML. Schedules are divided by speedup when loaded.
func (h *harness) specDoc(failureThreshold int, extra string) string {
	return testspec.Doc(testspec.Options{Name: "smartlic-test", Endpoint: h.sim.URL(), MaxRequestsPerHour: 100000,
		Health: "probeTimeout: 100ms\nredis:\n  maxLatency: 80ms", StatePath: h.statePath,
		Extra: fmt.Sprintf(`rollback:
  failureThreshold: %d
  recoveryThreshold: 2
  minRolledBack: 0s
schedule:
  reconcile: "@every 1s"
  probe: "@every 1s"
  report: "@every 1h"
%s`, failureThreshold, extra)})
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir()}
	h.sim = railwaytest.NewT(t, railwaytest.Options{DeployDuration: 300 * time.Millisecond,
		WorkflowDuration: 200 * time.Millisecond, RateLimit: 1 << 30})
	sb := h.sim.SeedSandbox(testToken, "backend")
	h.projectID, h.envID, h.backendID = sb.ProjectID, sb.EnvironmentID, sb.ConsumerID
	h.redis = redistest.Start(t)
	h.sim.BindRedisTo(h.redis.Host(), h.redis.Port(), h.redis.Password())
	h.specPath = filepath.Join(h.dir, "desired.yaml")
	h.statePath = filepath.Join(h.dir, "state.json")
	h.env = map[string]string{"RAILWAY_API_TOKEN": testToken, "TEST_PROJECT_ID": h.projectID}
	core, logs := observer.New(zap.DebugLevel)
	h.logs = logs
	h.log = zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel),
		zaptest.WrapOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, core) })))
	h.writeSpec(2, "")
	t.Cleanup(h.checkNoSecretLogged)
	return h
}

func (h *harness) lookupEnv(k string) (string, bool) { v, ok := h.env[k]; return v, ok }

// writeSpec replaces the spec file atomically (as editors do: write a
// temporary, rename it over the file).
func (h *harness) writeSpec(failureThreshold int, extra string) {
	h.t.Helper()
	h.writeRaw(h.specDoc(failureThreshold, extra))
}

func (h *harness) writeRaw(doc string) {
	h.t.Helper()
	tmp := filepath.Join(h.dir, ".desired.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(doc), 0o600); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(tmp, h.specPath); err != nil {
		h.t.Fatal(err)
	}
}

// load is the controller's spec loader: spec.Load, schedules sped up.
func (h *harness) load(path string) (*spec.Spec, error) {
	sp, err := spec.Load(path, h.lookupEnv)
	if err != nil {
		return nil, err
	}
	sp.Schedule.Reconcile = faster(sp.Schedule.Reconcile)
	sp.Schedule.Probe = faster(sp.Schedule.Probe)
	sp.Schedule.Report = faster(sp.Schedule.Report)
	return sp, nil
}

func faster(c spec.Cron) spec.Cron {
	if c.Every == 0 {
		return c
	}
	d := c.Every / speedup
	return spec.Cron{Expr: fmt.Sprintf("%s/%d", c.Expr, speedup), Schedule: cron.ConstantDelaySchedule{Delay: d}, Every: d}
}

// start runs a controller; mod may adjust its options. Run's error is
// delivered on h.done.
func (h *harness) start(mod func(*controller.Options)) {
	h.t.Helper()
	sp, err := h.load(h.specPath)
	if err != nil {
		h.t.Fatalf("spec: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	opts := controller.Options{SpecPath: h.specPath, Spec: sp, Load: h.load, Listener: ln, LookupEnv: h.lookupEnv,
		Logger: h.log, Version: "test", Debounce: 50 * time.Millisecond, Stdout: io.Discard}
	if mod != nil {
		mod(&opts)
	}
	h.runController(opts, ln)
}

// runController runs a controller with opts, served on ln.
func (h *harness) runController(opts controller.Options, ln net.Listener) {
	h.t.Helper()
	var err error
	h.ctrl, err = controller.New(opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.base = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.ctrl.Run(ctx) }()
	h.t.Cleanup(func() {
		if h.cancel != nil {
			h.stop()
		}
	})
}

// stop cancels Run and returns its error; it fails the test when Run takes
// longer than the 10 s the contract allows.
func (h *harness) stop() error {
	h.t.Helper()
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(10 * time.Second):
		h.t.Fatal("Run did not return within 10s of the shutdown")
		return nil
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func (h *harness) waitFor(timeout time.Duration, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			if h.ctrl == nil {
				h.t.Fatalf("timed out after %s waiting for %s", timeout, what)
			}
			st, _ := h.ctrl.Status()
			h.t.Fatalf("timed out after %s waiting for %s (phase %s, events %v)", timeout, what, st.Phase, lastEvents(st, 5))
		}
		select {
		case err := <-h.done:
			h.t.Fatalf("Run returned while waiting for %s: %v", what, err)
		case <-tick.C:
		}
	}
}

func lastEvents(st reconcile.Status, n int) []string {
	var out []string
	for _, e := range st.Events[max(0, len(st.Events)-n):] {
		out = append(out, e.Type+": "+e.Message)
	}
	return out
}

func (h *harness) phase() state.Phase {
	st, _ := h.ctrl.Status()
	return st.Phase
}

// converge starts a controller (when none runs) and waits until it is
// Healthy with the backend bound to Redis.
func (h *harness) converge() {
	h.t.Helper()
	if h.ctrl == nil {
		h.start(nil)
	}
	h.waitFor(15*time.Second, "Healthy and bound", func() bool {
		return h.phase() == state.Healthy && h.backendVars()["REDIS_URL"] == "${{Redis.REDIS_URL}}"
	})
}

// holder reports who holds the unit's state lock.
func (h *harness) holder() (state.Holder, bool) {
	h.t.Helper()
	hold, ok, err := state.SingleFile(h.statePath, state.FileOptions{}).Holder(h.t.Context(), "smartlic-test")
	if err != nil {
		h.t.Fatal(err)
	}
	return hold, ok
}

func (h *harness) backendVars() map[string]string { return h.sim.Variables(h.envID, h.backendID) }

// get fetches path from the controller's HTTP server.
func (h *harness) get(path string) (int, []byte) {
	h.t.Helper()
	resp, err := http.Get(h.base + path)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, b
}

// statusDoc fetches /status as a generic document.
func (h *harness) statusDoc() map[string]any {
	h.t.Helper()
	code, body := h.get("/status")
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		h.t.Fatalf("/status (HTTP %d) is not JSON: %v\n%s", code, err, body)
	}
	return doc
}

// scrape fetches and parses /metrics.
func (h *harness) scrape() map[string]*dto.MetricFamily {
	h.t.Helper()
	code, body := h.get("/metrics")
	if code != http.StatusOK {
		h.t.Fatalf("/metrics: HTTP %d", code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		h.t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value returns the value of the series of family name whose labels
// include want, and whether it exists.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool { return l.GetName() == k && l.GetValue() == v }) {
			return false
		}
	}
	return true
}

// upsertsSince returns the times the simulator received variable writes
// to the backend after t, with the REDIS_URL each carried.
func (h *harness) upsertsSince(t time.Time) (at []time.Time, urls []string) {
	for _, r := range h.sim.Requests() {
		if !r.At.After(t) || !slices.Contains(r.Fields, "variableCollectionUpsert") {
			continue
		}
		at = append(at, r.At)
		urls = append(urls, redisURLOf(r.Variables))
	}
	return at, urls
}

// redisURLOf digs REDIS_URL out of an UpsertVariables request's variables
// ("" when absent).
func redisURLOf(vars map[string]any) string {
	v, _ := vars["variables"].(map[string]any)
	s, _ := v["REDIS_URL"].(string)
	return s
}

// checkNoSecretLogged fails the test when a log line holds the token or
// the Redis password.
func (h *harness) checkNoSecretLogged() {
	secrets := []string{testToken, h.redis.Password()}
	for _, e := range h.logs.All() {
		line := e.Message + " " + fmt.Sprint(e.ContextMap())
		for _, s := range secrets {
			if strings.Contains(line, s) {
				h.t.Errorf("a log line holds a secret: %q", e.Message)
			}
		}
	}
}

// logged counts the log entries with message msg and, when field is not
// empty, the field's value containing sub.
func (h *harness) logged(msg, field, sub string) int {
	n := 0
	for _, e := range h.logs.FilterMessage(msg).All() {
		if field == "" || strings.Contains(fmt.Sprint(e.ContextMap()[field]), sub) {
			n++
		}
	}
	return n
}
