package controller_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smartlic/reconciler/controller"
	"github.com/smartlic/reconciler/reconcile"
	"github.com/smartlic/reconciler/state"
)

func TestConvergesFromAnEmptyProject(t *testing.T) {
	h := newHarness(t)
	h.start(nil)
	h.converge()

	if n := countNamed(h.sim.Services(h.projectID), "Redis"); n != 1 {
		t.Errorf("Redis services = %d, want 1", n)
	}
	if code, body := h.get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %s, want 200", code, body)
	}
	if code, body := h.get("/healthz"); code != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	// Each phase transition is logged exactly once.
	if n := h.logged("phase changed", "to", string(state.Healthy)); n != 1 {
		t.Errorf("phase changed to Healthy logged %d times, want 1", n)
	}
}

func TestRollsBackWhenRedisIsKilled(t *testing.T) {
	testRollback(t, "killed", func(h *harness) { h.redis.Kill() })
}

func TestRollsBackWhenRedisHangs(t *testing.T) {
	testRollback(t, "hung", func(h *harness) {
		if err := h.redis.Stop(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.redis.Cont() }) // let Close kill it
	})
}

// testRollback converges, breaks Redis, and checks that the rollback write
// reaches Railway within failureThreshold × interval + probeTimeout + one
// round trip (plus slack for a loaded, race-enabled test machine).
func testRollback(t *testing.T, how string, breakRedis func(*harness)) {
	h := newHarness(t)
	h.converge()
	sp := h.ctrl.Spec()
	window := time.Duration(sp.Rollback.FailureThreshold)*sp.Schedule.Probe.Every + sp.Health.ProbeTimeout

	dead := time.Now()
	breakRedis(h)
	var at []time.Time
	h.waitFor(10*time.Second, "the rollback write", func() bool {
		var urls []string
		at, urls = h.upsertsSince(dead)
		return slices.Contains(urls, "")
	})
	latency := at[0].Sub(dead)
	t.Logf("redis %s: rollback written %s after, window %s", how, latency.Round(time.Millisecond), window)
	if slack := time.Second; latency > window+slack {
		t.Errorf("rollback written %s after Redis was %s; want within %s + %s", latency, how, window, slack)
	}
	h.waitFor(5*time.Second, "phase RolledBack", func() bool { return h.phase() == state.RolledBack })
	if got := h.backendVars()["REDIS_URL"]; got != "" {
		t.Errorf("backend REDIS_URL = %q after the rollback, want empty", got)
	}
	if v, _ := value(h.scrape(), "reconciler_rollbacks_total", nil); v != 1 {
		t.Errorf("reconciler_rollbacks_total = %v, want 1", v)
	}
}

func TestRollsForwardWhenRedisIsBack(t *testing.T) {
	h := newHarness(t)
	h.converge()
	h.redis.Kill()
	h.waitFor(10*time.Second, "phase RolledBack", func() bool { return h.phase() == state.RolledBack })

	if err := h.redis.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.waitFor(15*time.Second, "rolled forward", func() bool {
		return h.backendVars()["REDIS_URL"] == "${{Redis.REDIS_URL}}"
	})
	// The roll forward's deploy completes, and the phase metric follows.
	h.waitFor(10*time.Second, "reconciler_phase{phase=Healthy} 1", func() bool {
		v, _ := value(h.scrape(), "reconciler_phase", map[string]string{"phase": "Healthy"})
		return v == 1 && h.phase() == state.Healthy
	})
	if v, _ := value(h.scrape(), "reconciler_rollforwards_total", nil); v != 1 {
		t.Errorf("reconciler_rollforwards_total = %v, want 1", v)
	}
}

func TestInvalidEditKeepsTheLastValidSpec(t *testing.T) {
	h := newHarness(t)
	h.converge()

	h.writeSpec(0, "") // failureThreshold 0: invalid
	h.waitFor(5*time.Second, "specValid false on /status", func() bool { return h.statusDoc()["specValid"] == false })
	doc := h.statusDoc()
	errs, _ := doc["specErrors"].([]any)
	if len(errs) != 1 || !strings.Contains(errs[0].(string), "desired.yaml:21:") ||
		!strings.Contains(errs[0].(string), "rollback.failureThreshold") {
		t.Errorf("specErrors = %v, want one desired.yaml:21:COL: rollback.failureThreshold line", errs)
	}
	if n := h.logged("spec rejected, the last valid spec keeps running", "problem", "desired.yaml:21:"); n != 1 {
		t.Errorf("rejection logged with its position %d times, want 1", n)
	}
	if v, _ := value(h.scrape(), "reconciler_spec_valid", nil); v != 0 {
		t.Errorf("reconciler_spec_valid = %v after an invalid edit, want 0", v)
	}
	if code, _ := h.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d with an invalid spec, want 503", code)
	}
	if got := h.ctrl.Spec().Rollback.FailureThreshold; got != 2 {
		t.Errorf("running failureThreshold = %d, want the last valid 2", got)
	}
	// The controller keeps running on the old spec: rounds go on.
	before := lastProbeAt(h)
	h.waitFor(5*time.Second, "another probe round", func() bool { return lastProbeAt(h).After(before) })

	// A fixed edit is applied, and its new schedule with it.
	h.writeSpec(4, "") // valid again, with a new threshold
	h.waitFor(5*time.Second, "the fixed edit applied", func() bool { return h.ctrl.Spec().Rollback.FailureThreshold == 4 })
	if doc := h.statusDoc(); doc["specValid"] != true || doc["specErrors"] != nil {
		t.Errorf("after a fixed edit: specValid %v, specErrors %v", doc["specValid"], doc["specErrors"])
	}
	if v, _ := value(h.scrape(), "reconciler_spec_valid", nil); v != 1 {
		t.Errorf("reconciler_spec_valid = %v after a fixed edit, want 1", v)
	}
}

func lastProbeAt(h *harness) time.Time {
	st, _ := h.ctrl.Status()
	if st.LastProbe == nil {
		return time.Time{}
	}
	return st.LastProbe.At
}

func TestReloadOnSignalReschedules(t *testing.T) {
	h := newHarness(t)
	h.start(func(o *controller.Options) { o.Debounce = time.Hour }) // only Reload reloads
	h.waitFor(5*time.Second, "ready", func() bool { code, _ := h.get("/readyz"); return code == http.StatusOK })

	doc := strings.Replace(specText(t, h), `probe: "@every 1s"`, `probe: "@every 2s"`, 1)
	doc = strings.Replace(doc, "name: smartlic-test", "name: renamed", 1)
	h.writeRaw(doc)
	h.ctrl.Reload()
	h.waitFor(5*time.Second, "the new probe schedule", func() bool {
		return h.ctrl.Spec().Schedule.Probe.Every == 2*time.Second/speedup
	})
	if n := h.logged("schedule changed", "job", "probe"); n != 1 {
		t.Errorf("probe reschedule logged %d times, want 1", n)
	}
	if got := h.ctrl.Spec().Name; got != "smartlic-test" {
		t.Errorf("name = %q after a reload, want the running name kept until a restart", got)
	}
	if n := h.logged("spec change needs a restart, keeping the running value until then", "field", "name"); n != 1 {
		t.Errorf("restart-needing change logged %d times, want 1", n)
	}
}

func specText(t *testing.T, h *harness) string {
	b, err := os.ReadFile(h.specPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestShutdownPersistsAndReleases(t *testing.T) {
	h := newHarness(t)
	h.converge()
	sock := controller.ControlSocketPath(h.statePath)
	if hold, ok := h.holder(); !ok || hold.Command != controller.Holder {
		t.Errorf("lock holder = %+v, %v; want %q", hold, ok, controller.Holder)
	}
	if _, err := os.Stat(sock); err != nil {
		t.Errorf("control socket: %v", err)
	}

	began := time.Now()
	if err := h.stop(); err != nil {
		t.Fatalf("Run = %v after a shutdown, want nil", err)
	}
	t.Logf("shutdown took %s", time.Since(began).Round(time.Millisecond))
	st, err := state.Read(h.statePath)
	if err != nil {
		t.Fatalf("state after shutdown: %v", err)
	}
	if st.Phase != state.Healthy || st.Health.Mode != state.Bound {
		t.Errorf("persisted phase %s mode %s, want Healthy Bound", st.Phase, st.Health.Mode)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
	if _, held := h.holder(); held {
		t.Error("state lock still held after Run returned")
	}
}

// A second controller on the same state waits as a standby (ready, as it
// can take over, and serving the stored status with the leader named)
// instead of exiting, and takes over when the first one stops.
func TestSecondControllerStandsByThenTakesOver(t *testing.T) {
	h := newHarness(t)
	h.converge()

	sp, err := h.load(h.specPath)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other, err := controller.New(controller.Options{Spec: sp, Load: h.load, LookupEnv: h.lookupEnv, Logger: h.log,
		Listener: ln, Command: "second run", Stdout: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- other.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("second Run = %v", err)
		}
	}()
	h.waitFor(10*time.Second, "the second controller to stand by", func() bool {
		return h.logged("standby: the state is locked by another process, waiting for it", "holder", controller.Holder) > 0
	})
	base := "http://" + ln.Addr().String()
	if code := httpCode(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("standby /readyz = %d, want 200 (it can take over)", code)
	}
	// The standby re-reads the stored state every 2 s, and the leader
	// publishes a phase just before it saves it: wait for the stored Healthy.
	h.waitFor(10*time.Second, "the standby to serve the stored Healthy, naming the leader", func() bool {
		st, _ := other.Status()
		return st.Phase == state.Healthy && st.Leader != ""
	})
	if n := countUpserts(h); n != 1 {
		t.Fatalf("%d variable writes before the takeover, want the first controller's 1", n)
	}

	if err := h.stop(); err != nil {
		t.Fatalf("first Run = %v", err)
	}
	h.waitFor(15*time.Second, "the second controller to lead", func() bool {
		hold, ok := h.holder()
		return ok && hold.Command == "second run" && h.logged("leading the unit", "", "") >= 2
	})
	if n := countUpserts(h); n != 1 {
		t.Errorf("%d variable writes after the takeover, want still 1: the new leader resumes, it does not start over", n)
	}
}

func countUpserts(h *harness) int {
	at, _ := h.upsertsSince(time.Time{})
	return len(at)
}

func TestControlSocketRollbackHolds(t *testing.T) {
	h := newHarness(t)
	h.converge()
	sock := controller.ControlSocketPath(h.statePath)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := controller.SendControl(ctx, sock, controller.ActionRollback, "testing the socket"); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if p := h.phase(); p != state.Held {
		t.Errorf("phase = %s after a manual rollback, want Held", p)
	}
	if got := h.backendVars()["REDIS_URL"]; got != "" {
		t.Errorf("backend REDIS_URL = %q after a manual rollback, want empty", got)
	}
	st, _ := h.ctrl.Status()
	if !strings.Contains(st.HoldReason, "testing the socket") {
		t.Errorf("hold reason = %q, want the given reason", st.HoldReason)
	}
	if err := controller.SendControl(ctx, sock, controller.ActionRollback, " "); err == nil {
		t.Error("a rollback without a reason was accepted")
	}

	if err := controller.SendControl(ctx, sock, controller.ActionRollForward, ""); err != nil {
		t.Fatalf("rollforward: %v", err)
	}
	h.waitFor(10*time.Second, "Healthy again", func() bool {
		return h.phase() == state.Healthy && h.backendVars()["REDIS_URL"] == "${{Redis.REDIS_URL}}"
	})
	err := controller.SendControl(ctx, sock, controller.ActionRollForward, "")
	if !errors.Is(err, reconcile.ErrNothingToRollForward) {
		t.Errorf("second rollforward = %v, want ErrNothingToRollForward", err)
	}
}

func TestSendControlWithoutController(t *testing.T) {
	err := controller.SendControl(t.Context(), t.TempDir()+"/none.sock", controller.ActionRollForward, "")
	if !errors.Is(err, controller.ErrControlUnavailable) {
		t.Errorf("SendControl to nothing = %v, want ErrControlUnavailable", err)
	}
}

func countNamed(names []string, want string) int {
	n := 0
	for _, s := range names {
		if s == want {
			n++
		}
	}
	return n
}

// A state path too long for a unix socket disables the control socket:
// the controller runs, says so once, and records no socket in the lock.
func TestLongStatePathDisablesTheControlSocket(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.dir, strings.Repeat("d", 100))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	h.statePath = filepath.Join(dir, "state.json")
	h.writeSpec(2, "")
	h.start(nil)
	h.waitFor(5*time.Second, "ready", func() bool { code, _ := h.get("/readyz"); return code == http.StatusOK })

	if hold, ok := h.holder(); !ok || hold.Command != controller.Holder {
		t.Errorf("lock holder = %+v, %v; want %q", hold, ok, controller.Holder)
	}
	if n := h.logged("control socket disabled: its path is too long; rollback and rollforward cannot reach this process", "path", ".sock"); n != 1 {
		t.Errorf("the disabled socket logged %d times, want 1", n)
	}
	if n := h.logged("control socket disabled; rollback and rollforward cannot reach this process", "", ""); n != 0 {
		t.Errorf("binding the too-long socket was tried (%d failures logged)", n)
	}
	if _, err := os.Stat(controller.ControlSocketPath(h.statePath)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket: %v, want none", err)
	}
}
