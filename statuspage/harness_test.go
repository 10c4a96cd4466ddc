package statuspage_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/robfig/cron/v3"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/railway/railwaytest"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// A controller on the Railway simulator with a real redis-server, as the
// controller's own tests run it, for the page's end-to-end tests.

// TestMain quiets go-redis's own logger: it would print every failed dial
// while Redis is down (the controller's logs, through zaptest, say it).
func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{})
	os.Exit(m.Run())
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

const railwayToken = "tok-page-e2e-3c5e7a9b1d2f4a6c8e0b"

// speedup divides the spec's "@every" schedules (whole seconds in YAML).
const speedup = 5

// specDoc is the test spec; %s are the simulator's endpoint and the state
// path. The latency bound is loose so that a loaded machine's slow PING
// never rolls back: only a killed Redis does.
const specDoc = `version: 1
name: smartlic-production
railway:
  endpoint: %s
  projectId: ${TEST_PROJECT_ID}
  environment: production
  maxRequestsPerHour: 100000
addon:
  service: Redis
consumers:
  - service: backend
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
health:
  probeTimeout: 900ms
  redis:
    maxLatency: 800ms
rollback:
  failureThreshold: 2
  recoveryThreshold: 3
  minRolledBack: 0s
schedule:
  reconcile: "@every 1s"
  probe: "@every 1s"
  report: "@every 5s"
state:
  path: %s
`

type harness struct {
	t     *testing.T
	sim   *railwaytest.Server
	redis *redisserver.Server
	state string
	ctrl  *controller.Controller
	base  string
}

// startController runs a controller whose page asks for token ("" for
// none) and stops it when the test ends.
func startController(t *testing.T, token string) *harness {
	t.Helper()
	h := &harness{t: t, state: filepath.Join(t.TempDir(), "state.json")}
	h.sim = railwaytest.NewT(t, railwaytest.Options{DeployDuration: 300 * time.Millisecond,
		WorkflowDuration: 200 * time.Millisecond, RateLimit: 1 << 30})
	sb := h.sim.SeedSandbox(railwayToken, "backend")
	h.redis = redistest.Start(t)
	h.sim.BindRedisTo(h.redis.Host(), h.redis.Port(), h.redis.Password())
	specPath := filepath.Join(filepath.Dir(h.state), "desired.yaml")
	if err := os.WriteFile(specPath, fmt.Appendf(nil, specDoc, h.sim.URL(), h.state), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"RAILWAY_API_TOKEN": railwayToken, "TEST_PROJECT_ID": sb.ProjectID}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	load := func(path string) (*spec.Spec, error) {
		sp, err := spec.Load(path, lookup)
		if err == nil {
			sp.Schedule.Reconcile, sp.Schedule.Probe = faster(sp.Schedule.Reconcile), faster(sp.Schedule.Probe)
			sp.Schedule.Report = faster(sp.Schedule.Report)
		}
		return sp, err
	}
	sp, err := load(specPath)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.ctrl, err = controller.New(controller.Options{SpecPath: specPath, Spec: sp, Load: load, Listener: ln, LookupEnv: lookup,
		Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), Version: "test", Stdout: io.Discard,
		AuthToken: spec.NewSecret(token)})
	if err != nil {
		t.Fatal(err)
	}
	h.base = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.ctrl.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("controller Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the controller did not stop within 15s")
		}
	})
	return h
}

func faster(c spec.Cron) spec.Cron {
	if c.Every == 0 {
		return c
	}
	d := c.Every / speedup
	return spec.Cron{Expr: c.Expr, Schedule: cron.ConstantDelaySchedule{Delay: d}, Every: d}
}

// waitFor polls cond every 20 ms until it holds, failing after timeout.
func (h *harness) waitFor(timeout time.Duration, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			st, _ := h.ctrl.Status()
			h.t.Fatalf("timed out after %s waiting for %s (phase %s)", timeout, what, st.Phase)
		}
		<-tick.C
	}
}

func (h *harness) phase() state.Phase {
	st, _ := h.ctrl.Status()
	return st.Phase
}

// waitPhase waits for the controller's phase to be p.
func (h *harness) waitPhase(p state.Phase) {
	h.t.Helper()
	h.waitFor(30*time.Second, "phase "+string(p), func() bool { return h.phase() == p })
}

var pointsRE = regexp.MustCompile(`id="chart-latency"[\s\S]*?data-points="(\d+)"`)

// page returns the page as served ("" when it cannot be read).
func (h *harness) page() string {
	resp, err := http.Get(h.base + "/")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// latencyPoints reads the latency chart's point count from the page as
// served (0 when the chart is empty).
func (h *harness) latencyPoints() int {
	m := pointsRE.FindStringSubmatch(h.page())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// pageTime fetches the page n times and returns the median and the
// slowest answer: the page reads memory only, so it should be quick
// whatever Railway does.
func (h *harness) pageTime(n int) (median, slowest time.Duration) {
	h.t.Helper()
	ds := make([]time.Duration, 0, n)
	for range n {
		began := time.Now()
		resp, err := http.Get(h.base + "/")
		if err != nil {
			h.t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			h.t.Fatalf("GET / = %d", resp.StatusCode)
		}
		ds = append(ds, time.Since(began))
	}
	slices.Sort(ds)
	return ds[n/2], ds[n-1]
}
