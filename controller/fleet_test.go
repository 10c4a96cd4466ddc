package controller_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// startFleet runs a fleet controller over the spec files paths.
func (h *harness) startFleet(paths ...string) {
	h.t.Helper()
	load := func(paths []string) (*controller.SpecSet, error) {
		set := &controller.SpecSet{}
		for _, p := range paths {
			sp, err := h.load(p)
			if err != nil {
				set.Invalid = append(set.Invalid, controller.InvalidFile{File: p, Problems: []string{err.Error()}})
				continue
			}
			set.Specs = append(set.Specs, sp)
		}
		if len(set.Specs) == 0 {
			return nil, errors.New("no valid spec")
		}
		return set, nil
	}
	set, err := load(paths)
	if err != nil {
		h.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	h.runController(controller.Options{SpecPath: paths[0], Set: set, Paths: paths, LoadSet: load, Listener: ln,
		LookupEnv: h.lookupEnv, Logger: h.log, Version: "test", Debounce: 50 * time.Millisecond, Stdout: io.Discard}, ln)
}

// fleetStatus fetches /status of a fleet.
func (h *harness) fleetStatus() controller.FleetStatus {
	h.t.Helper()
	code, body := h.get("/status")
	var fs controller.FleetStatus
	if err := json.Unmarshal(body, &fs); err != nil || code != http.StatusOK {
		h.t.Fatalf("/status (HTTP %d): %v\n%s", code, err, body)
	}
	return fs
}

func (h *harness) unitPhase(name string) string {
	h.t.Helper()
	fs := h.fleetStatus()
	for _, u := range fs.Units {
		if u.Name == name {
			return string(u.Phase)
		}
	}
	return ""
}

// A generator spec manages one unit per matching environment: a new
// environment is picked up at the next reconcile, one that disappears
// stops being managed, and nothing is ever deleted.
func TestFleetFollowsTheEnvironments(t *testing.T) {
	h := newHarness(t)
	pr1 := h.sim.AddEnvironment(h.projectID, "pr-1")
	doc := strings.Replace(h.specDoc(2, ""), "  environment: production\n", "  environmentPattern: \"pr-*\"\n", 1)
	doc = strings.Replace(doc, "maxLatency: 80ms", "maxLatency: 800ms", 1) // a loaded machine must not roll back here
	h.writeRaw(doc)
	h.startFleet(h.specPath)

	h.waitFor(30*time.Second, "unit smartlic-test/pr-1 Healthy", func() bool { return h.unitPhase("smartlic-test/pr-1") == "Healthy" })
	if got := h.sim.Variables(pr1, h.backendID)["REDIS_URL"]; got != "${{Redis.REDIS_URL}}" {
		t.Fatalf("pr-1 backend REDIS_URL = %q", got)
	}
	if got := h.sim.Variables(h.envID, h.backendID)["REDIS_URL"]; got != "" {
		t.Errorf("production, which the pattern does not match, was touched: REDIS_URL = %q", got)
	}
	code, body := h.get("/status/" + url.PathEscape("smartlic-test/pr-1"))
	if code != http.StatusOK || !strings.Contains(string(body), `"name": "smartlic-test/pr-1"`) {
		t.Errorf("/status/smartlic-test%%2Fpr-1 = %d\n%s", code, body)
	}
	if code, _ := h.get("/status/smartlic-test/pr-1"); code != http.StatusOK {
		t.Errorf("/status/smartlic-test/pr-1 = %d", code)
	}

	// A new environment (its services copied, not yet deployed) is picked
	// up at the next reconcile: a unit observes it.
	h.sim.AddEnvironment(h.projectID, "pr-2")
	h.waitFor(30*time.Second, "unit smartlic-test/pr-2 to be managed", func() bool {
		p := h.unitPhase("smartlic-test/pr-2")
		return p != "" && p != "Pending"
	})

	services := len(h.sim.Services(h.projectID))
	h.sim.RemoveEnvironment(h.projectID, pr1)
	h.waitFor(30*time.Second, "unit pr-1 to stop being managed", func() bool { return h.unitPhase("smartlic-test/pr-1") == "" })
	if n := len(h.sim.Services(h.projectID)); n != services {
		t.Errorf("%d services after the environment went, want %d: nothing is deleted", n, services)
	}
	if f := h.sim.Forbidden(); len(f) > 0 {
		t.Fatalf("forbidden operations: %v", f)
	}
	h.waitFor(10*time.Second, "the series of the unit no longer managed to go", func() bool {
		_, ok := value(h.scrape(), "reconciler_phase", map[string]string{"name": "smartlic-test/pr-1"})
		return !ok
	})
	fams := h.scrape()
	if _, ok := value(fams, "reconciler_phase", map[string]string{"name": "smartlic-test/pr-2", "spec": "smartlic-test", "phase": "Pending"}); !ok {
		t.Error("no reconciler_phase series for unit pr-2 with its spec label")
	}
	if _, err := os.Stat(filepath.Join(h.dir, "smartlic-test__pr-2.json")); err != nil {
		t.Errorf("unit pr-2's own state file: %v", err)
	}
}

// One unit's Railway errors, hung Redis and hung endpoint never delay
// another unit's probe rounds or rollback.
func TestFleetUnitsAreIsolated(t *testing.T) {
	h := newHarness(t)
	// Unit b: a second project on its own Railway, with its own Redis.
	simB := railwaytest.NewT(t, railwaytest.Options{DeployDuration: 300 * time.Millisecond,
		WorkflowDuration: 200 * time.Millisecond, RateLimit: 1 << 30})
	sbB := simB.SeedSandbox(testToken, "backend")
	redisB := redistest.Start(t)
	simB.BindRedisTo(redisB.Host(), redisB.Port(), redisB.Password())
	h.env["TEST_PROJECT_ID_B"] = sbB.ProjectID

	hung := hungServer(t)
	docA := strings.Replace(h.specDoc(2, ""), "maxLatency: 80ms", "maxLatency: 800ms", 1)
	docA = strings.Replace(docA, "name: smartlic-test", "name: unit-a", 1)
	docA = strings.Replace(docA, "health:\n", "health:\n  endpoints:\n    - name: backend\n      url: "+hung+"/v1/health\n", 1)
	docB := strings.Replace(h.specDoc(2, ""), "maxLatency: 80ms", "maxLatency: 800ms", 1)
	docB = strings.Replace(docB, "name: smartlic-test", "name: unit-b", 1)
	docB = strings.Replace(docB, h.sim.URL(), simB.URL(), 1)
	docB = strings.Replace(docB, "${TEST_PROJECT_ID}", "${TEST_PROJECT_ID_B}", 1)
	docB = strings.Replace(docB, h.statePath, filepath.Join(h.dir, "b", "state.json"), 1)
	pathA, pathB := filepath.Join(h.dir, "a.yaml"), filepath.Join(h.dir, "b.yaml")
	for p, doc := range map[string]string{pathA: docA, pathB: docB} {
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h.startFleet(pathA, pathB)
	h.waitFor(30*time.Second, "both units Healthy", func() bool {
		return h.unitPhase("unit-a") == "Healthy" && h.unitPhase("unit-b") == "Healthy"
	})

	// Unit a: Railway answers 500s, its Redis hangs, its endpoint hangs.
	h.sim.StartOutage(0)
	if err := h.redis.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.redis.Cont() })
	h.waitFor(10*time.Second, "unit a to see its trouble", func() bool { return h.unitPhase("unit-a") != "Healthy" })

	killed := time.Now()
	redisB.Kill()
	var rolledBack time.Time
	h.waitFor(20*time.Second, "unit b's rollback", func() bool {
		for _, r := range simB.Requests() {
			if r.At.After(killed) && slices.Contains(r.Fields, "variableCollectionUpsert") && redisURLOf(r.Variables) == "" {
				rolledBack = r.At
				return true
			}
		}
		return false
	})
	// b's window: failureThreshold 2 × probe 200 ms + probeTimeout 100 ms.
	window := 500 * time.Millisecond
	took := rolledBack.Sub(killed)
	t.Logf("unit b rolled back %s after its Redis was killed (window %s), while unit a's Railway, Redis and endpoint failed",
		took.Round(time.Millisecond), window)
	if limit := window + 1500*time.Millisecond; took > limit {
		t.Errorf("unit b's rollback took %s, want within %s: unit a's trouble delayed it", took, limit)
	}
}

// hungServer accepts connections and never answers (until the test ends).
func hungServer(t *testing.T) string {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

// With a budget below what the units' schedules need, every unit's
// reconcile interval is stretched alike: every unit still reconciles, none
// starves, and the effective interval is shown.
func TestFleetSharesTheBudgetFairly(t *testing.T) {
	h := newHarness(t)
	var paths []string
	envs := map[string]string{}
	for i := range 4 {
		sb := h.sim.SeedSandbox(testToken, "backend")
		name := fmt.Sprintf("unit-%d", i)
		h.env["TEST_PROJECT_"+strconv.Itoa(i)] = sb.ProjectID
		envs[sb.EnvironmentID] = name
		doc := strings.Replace(h.specDoc(2, ""), "name: smartlic-test", "name: "+name, 1)
		doc = strings.Replace(doc, "${TEST_PROJECT_ID}", "${TEST_PROJECT_"+strconv.Itoa(i)+"}", 1)
		// 4 units every 200 ms would be 72,000 requests an hour: give them 36,000.
		doc = strings.Replace(doc, "maxRequestsPerHour: 100000", "maxRequestsPerHour: 36000", 1)
		doc = strings.Replace(doc, "maxLatency: 80ms", "maxLatency: 800ms", 1)
		p := filepath.Join(h.dir, name+".yaml")
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	h.sim.AddWorkspaceToken(testToken) // one token for the four projects
	h.startFleet(paths...)
	h.waitFor(30*time.Second, "every unit's interval shown stretched", func() bool {
		fs := h.fleetStatus()
		ok := len(fs.Units) == 4
		for _, u := range fs.Units {
			// 200 ms × 72,000 / (80 % of 36,000 less the 10 % reserve),
			// rounded up to the second.
			ok = ok && u.ReconcileInterval == "1s"
		}
		return ok
	})
	from := time.Now()
	window := 6 * time.Second
	h.waitFor(window+time.Second, "the measuring window", func() bool { return time.Since(from) > window })
	per := map[string]int{}
	total := 0
	for _, r := range h.sim.Requests() {
		if r.At.Before(from) || r.At.After(from.Add(window)) || r.OperationName != "Observe" {
			continue
		}
		total++
		env, _ := r.Variables["env"].(string)
		per[envs[env]]++
	}
	t.Logf("observations in %s: %v (%d in all)", window, per, total)
	for _, name := range envs {
		if per[name] < 4 {
			t.Errorf("unit %s reconciled %d times in %s: starved (want about 6 at 1 s)", name, per[name], window)
		}
	}
	if limit := int(window.Seconds() * 36000 / 3600); total > limit {
		t.Errorf("%d observations in %s, over the budget's %d", total, window, limit)
	}
}

// The units of one project and environment share one observation a pass:
// their passes fire together and the batcher sends one request for them
// all (the union of their services), each unit still converging alone.
func TestFleetBatchesOneEnvironment(t *testing.T) {
	h := newHarness(t)
	const units = 3
	var paths []string
	for i := range units {
		consumer := fmt.Sprintf("backend-%d", i)
		h.sim.Deploy(h.envID, h.sim.AddService(h.projectID, consumer, ""))
		addon := fmt.Sprintf("Redis-%d", i)
		doc := strings.Replace(h.specDoc(2, ""), "name: smartlic-test", fmt.Sprintf("name: unit-%d", i), 1)
		doc = strings.Replace(doc, "service: Redis", "service: "+addon, 1)
		doc = strings.Replace(doc, "service: backend", "service: "+consumer, 1)
		doc = strings.Replace(doc, "${{Redis.REDIS_URL}}", "${{"+addon+".REDIS_URL}}", 1)
		p := filepath.Join(h.dir, fmt.Sprintf("unit-%d.yaml", i))
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	h.startFleet(paths...)
	h.waitFor(60*time.Second, "every unit healthy", func() bool {
		fs := h.fleetStatus()
		ok := len(fs.Units) == units
		for _, u := range fs.Units {
			ok = ok && u.Phase == "Healthy"
		}
		return ok
	})
	from := time.Now()
	window := 5 * time.Second
	h.waitFor(window+time.Second, "the measuring window", func() bool { return time.Since(from) > window })
	observes, merged := 0, 0
	for _, r := range h.sim.Requests() {
		if r.At.Before(from) || r.At.After(from.Add(window)) || r.OperationName != "Observe" {
			continue
		}
		observes++
		if _, ok := r.Variables[fmt.Sprintf("s%d", units-1)]; ok {
			merged++ // every unit's consumer in one request
		}
	}
	passes := int(window / (200 * time.Millisecond)) // each unit reconciles every 200 ms (the harness's faster schedules)
	t.Logf("%d observations in %s for %d units reconciling every 200 ms (%d merged)", observes, window, units, merged)
	if observes > passes+3 {
		t.Errorf("%d observations in %s: the units' passes were not batched (want about %d, %d unbatched)", observes, window, passes, passes*units)
	}
	if merged < passes/2 {
		t.Errorf("%d of %d observations read every unit's services at once, want most", merged, observes)
	}
}
