package controller_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/testbin"
	"github.com/smartlic/reconciler/state"
)

// command prepares `reconciler args...` with the harness's environment.
func (h *harness) command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir}
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// TestBinaryRunStopsCleanlyOnSIGTERM runs the real binary against the
// simulator and a real Redis, waits for it to converge, sends SIGTERM and
// checks exit 0 and the persisted state.
func TestBinaryRunStopsCleanlyOnSIGTERM(t *testing.T) {
	bin := testbin.Reconciler(t)
	h := newHarness(t)
	cmd := h.command(bin, "run", "-f", h.specPath, "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "debug")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // a no-op once it exited
	logs := testbin.ReadLogs(stderr)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reconciler run stderr:\n%s", logs.Tail(0))
		}
	})
	var addr string
	h.waitFor(30*time.Second, "the listen address in the logs", func() bool {
		addr = logs.Field("http server listening", "addr")
		return addr != ""
	})
	base := "http://" + addr
	h.waitFor(30*time.Second, "the binary to converge", func() bool {
		st, err := state.Read(h.statePath)
		return err == nil && st.Phase == state.Healthy
	})
	if code := httpCode(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}

	// SIGHUP reloads (here: an unchanged spec) and does not stop the process.
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	h.waitFor(10*time.Second, "the SIGHUP reload", func() bool { return logs.Field("spec unchanged", "trigger") == "signal" })
	if code := httpCode(t, base+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d after SIGHUP", code)
	}

	began := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-logs.Done()
	err = cmd.Wait()
	t.Logf("exit after SIGTERM took %s", time.Since(began).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("reconciler run after SIGTERM: %v, want exit 0", err)
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("shutdown took %s, want within 10s", took)
	}
	st, err := state.Read(h.statePath)
	if err != nil || st.Phase != state.Healthy || st.Health.Mode != state.Bound {
		t.Errorf("state after exit: %v, %+v", err, st)
	}
	if _, err := os.Stat(h.statePath + ".sock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
}

func TestBinaryRunExitCodes(t *testing.T) {
	bin := testbin.Reconciler(t)
	h := newHarness(t)

	bad := filepath.Join(h.dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nname: Bad_Name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := h.command(bin, "run", "-f", bad, "--listen", "127.0.0.1:0")
	cmd.Stderr = &out
	if code := exitCode(cmd.Run()); code != 3 || !strings.Contains(out.String(), "bad.yaml:2:7: name:") {
		t.Errorf("invalid spec: exit %d, stderr %q; want 3 and FILE:LINE:COL lines", code, out.String())
	}

	h.start(nil) // holds the state lock
	h.waitFor(5*time.Second, "ready", func() bool { code, _ := h.get("/readyz"); return code == http.StatusOK })
	standby := h.command(bin, "run", "-f", h.specPath, "--listen", "127.0.0.1:0", "--log-format", "json")
	stderr, err := standby.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := standby.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = standby.Process.Kill() }) // a no-op once it exited
	logs := testbin.ReadLogs(stderr)
	h.waitFor(30*time.Second, "the second run to stand by", func() bool {
		return strings.Contains(logs.Field("standby: the state is locked by another process, waiting for it", "holder"), "reconciler run")
	})
	if code := httpCode(t, "http://"+logs.Field("http server listening", "addr")+"/readyz"); code != http.StatusOK {
		t.Errorf("standby /readyz = %d, want 200", code)
	}
	if err := standby.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-logs.Done()
	if code := exitCode(standby.Wait()); code != 0 {
		t.Errorf("standby after SIGTERM: exit %d, want 0\n%s", code, logs.Tail(0))
	}

	out.Reset()
	h.env["RAILWAY_API_TOKEN"] = "tok-rejected-0000000000000000"
	other := filepath.Join(h.dir, "other.yaml")
	doc := strings.Replace(specText(t, h), h.statePath, filepath.Join(h.dir, "other-state.json"), 1)
	if err := os.WriteFile(other, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd = h.command(bin, "run", "-f", other, "--listen", "127.0.0.1:0")
	cmd.Stderr = &out
	code := exitCode(cmd.Run())
	t.Logf("rejected token: exit %d: %s", code, strings.TrimSpace(out.String()))
	if code != 1 || !strings.Contains(out.String(), "RAILWAY_API_TOKEN") {
		t.Errorf("rejected token: exit %d, stderr %q; want 1 naming the variable", code, out.String())
	}
	if strings.Contains(out.String(), "tok-rejected") {
		t.Error("the rejected token was printed")
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func httpCode(t *testing.T, url string) int {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestBinarySecondSignalExitsAtOnce holds a Railway call in flight, so that
// the shutdown after SIGTERM waits for it, and checks that a second SIGTERM
// exits at once with 1.
func TestBinarySecondSignalExitsAtOnce(t *testing.T) {
	bin := testbin.Reconciler(t)
	h := newHarness(t)
	var hold atomic.Bool
	held := make(chan struct{}, 1)
	target, err := url.Parse(h.sim.URL())
	if err != nil {
		t.Fatal(err)
	}
	target.Path = "" // the proxy keeps the request's path
	proxy := httputil.NewSingleHostReverseProxy(target)
	release := make(chan struct{})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hold.Load() {
			select {
			case held <- struct{}{}:
			default:
			}
			select { // until the client gives up or the test ends
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Cleanup(func() { close(release) }) // runs before front.Close
	h.writeRaw(strings.Replace(specText(t, h), h.sim.URL(), front.URL+"/graphql/v2", 1))

	cmd := h.command(bin, "run", "-f", h.specPath, "--listen", "127.0.0.1:0", "--log-format", "json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	logs := testbin.ReadLogs(stderr)
	h.waitFor(30*time.Second, "the controller to start", func() bool { return logs.Field("controller started", "name") != "" })
	hold.Store(true)
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("no Railway call reached the proxy in 10s")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	h.waitFor(10*time.Second, "the shutdown to begin", func() bool {
		return logs.Field("shutting down: finishing the actions in flight", "level") != ""
	})
	began := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-logs.Done()
	err = cmd.Wait()
	took := time.Since(began)
	t.Logf("exit after the second SIGTERM took %s", took.Round(time.Millisecond))
	if code := exitCode(err); code != 1 || took > 2*time.Second || !strings.Contains(logs.Tail(0), "second signal") {
		t.Errorf("second SIGTERM: exit %d after %s, want 1 at once, saying so\n%s", code, took, logs.Tail(0))
	}
}
