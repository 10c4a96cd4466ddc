package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/redisserver"
	"github.com/smartlic/reconciler/internal/redisserver/redistest"
	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

// doctorScene is a simulated project for doctor: the sandbox (a deployed
// backend), optionally a Redis service already in place, and a spec.
type doctorScene struct {
	sim       *railwaytest.Server
	env       map[string]string
	pid, eid  string
	backendID string
	statePath string
	redis     *redisserver.Server
}

func newDoctorScene(t *testing.T) *doctorScene {
	t.Helper()
	sim := railwaytest.NewT(t, railwaytest.Options{DeployDuration: 100 * time.Millisecond, WorkflowDuration: 200 * time.Millisecond})
	sb := sim.SeedSandbox(cliToken, "backend")
	if d, ok := sim.LatestDeployment(sb.EnvironmentID, sb.ConsumerID); !ok || !sim.SetDeploymentStatus(d.ID, railway.StatusSuccess) {
		t.Fatal("the sandbox's backend has no deployment")
	}
	return &doctorScene{sim: sim, pid: sb.ProjectID, eid: sb.EnvironmentID, backendID: sb.ConsumerID,
		statePath: filepath.Join(t.TempDir(), "state", "state.json"),
		env:       map[string]string{"RAILWAY_PROJECT_ID": sb.ProjectID, "RAILWAY_API_TOKEN": cliToken}}
}

// addRedis adds a Redis service shaped like the redis template's, deployed,
// with backend bound to it. With a real server, its TCP proxy points there
// (REDIS_PUBLIC_URL answers from here); without, it is private only.
func (s *doctorScene) addRedis(t *testing.T, name string, real bool) string {
	t.Helper()
	id := s.sim.AddService(s.pid, name, "ghcr.io/railwayapp-templates/redis:8")
	password := "s3cr3t-redis-pw-" + name
	if real {
		s.redis = redistest.Start(t)
		password = s.redis.Password()
		s.sim.AddTCPProxy(s.eid, id, s.redis.Host(), s.redis.Port(), 6379)
	}
	s.sim.SetVariables(s.eid, id, map[string]string{
		"REDIS_PASSWORD": password, "REDISHOST": "${{RAILWAY_PRIVATE_DOMAIN}}", "REDISPORT": "6379",
		"REDISUSER": "default", "REDISPASSWORD": "${{REDIS_PASSWORD}}",
		"REDIS_URL":        "redis://${{REDISUSER}}:${{REDISPASSWORD}}@${{REDISHOST}}:${{REDISPORT}}",
		"REDIS_PUBLIC_URL": "redis://default:${{REDIS_PASSWORD}}@${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}",
	})
	s.sim.SetDeploymentStatus(s.sim.Deploy(s.eid, id), railway.StatusSuccess) // up at once: no waiting
	s.sim.SetVariables(s.eid, s.backendID, map[string]string{"REDIS_URL": "${{" + name + ".REDIS_URL}}"})
	return id
}

// spec writes a spec for the scene with health as its health section.
func (s *doctorScene) spec(t *testing.T, health, extra string) string {
	t.Helper()
	body := testspec.Doc(testspec.Options{Endpoint: s.sim.URL(), ProjectID: "${RAILWAY_PROJECT_ID}",
		StatePath: s.statePath, Health: health, Extra: extra})
	return writeSpec(t, body)
}

// doctor runs doctor --output json on path and returns the exit code,
// the checks by name and the whole result.
func (s *doctorScene) doctor(t *testing.T, path string, args ...string) (int, map[string]doctorCheck, result) {
	t.Helper()
	got := run(t, s.env, append([]string{"doctor", "-f", path, "--output", "json"}, args...)...)
	var list []doctorCheck
	if err := json.Unmarshal([]byte(got.stdout), &list); err != nil {
		t.Fatalf("doctor json (%v):\n%s\nstderr:\n%s", err, got.stdout, got.stderr)
	}
	checks := map[string]doctorCheck{}
	for _, c := range list {
		if _, dup := checks[c.Check]; dup {
			t.Fatalf("check %s printed twice:\n%s", c.Check, got.stdout)
		}
		if c.OK != (c.Fix == "") {
			t.Errorf("check %s: ok %v with fix %q", c.Check, c.OK, c.Fix)
		}
		checks[c.Check] = c
	}
	return got.code, checks, got
}

// healthServer answers {"redis": "connected"} on every path.
func healthServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"redis":"connected"}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// webhookServer records the bodies posted to it.
type webhookServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newWebhookServer(t *testing.T) *webhookServer {
	t.Helper()
	ws := &webhookServer{}
	ws.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ws.mu.Lock()
		ws.bodies = append(ws.bodies, string(b))
		ws.mu.Unlock()
	}))
	t.Cleanup(ws.Close)
	return ws
}

func (ws *webhookServer) posts() []string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([]string(nil), ws.bodies...)
}

func TestDoctorCleanPass(t *testing.T) {
	s := newDoctorScene(t)
	s.addRedis(t, "Redis", true)
	hook := newWebhookServer(t)
	s.env["HOOK_URL"] = hook.URL + "/services/T000/B000/s3cr3t-webhook-token"
	health := fmt.Sprintf("probeTimeout: 2s\nendpoints:\n  - name: backend\n    url: %s/v1/health\n    expect:\n      - field: redis\n        equals: connected\nlogs:\n  - service: backend\n    contains: Redis pool connected",
		healthServer(t).URL)
	path := s.spec(t, health, "report:\n  sinks:\n    - webhook: ${HOOK_URL}\n")
	before := s.sim.RequestCount()
	code, checks, got := s.doctor(t, path)
	if code != ExitOK {
		t.Fatalf("doctor exit %d:\n%s%s", code, got.stdout, got.stderr)
	}
	want := []string{"spec", "token", "project", "consumer/backend", "addon", "variables", "rate-limit", "redis",
		"endpoint/backend", "log/backend", "state", "webhook/1"}
	if len(checks) != len(want) {
		t.Errorf("got %d checks, want %d:\n%s", len(checks), len(want), got.stdout)
	}
	for _, name := range want {
		if c, ok := checks[name]; !ok || !c.OK {
			t.Errorf("check %s: %+v", name, c)
		}
	}
	for name, sub := range map[string]string{
		"token": "RAILWAY_API_TOKEN", "project": `environment "production" (` + s.eid + ")",
		"redis": "redis://default:***@127.0.0.1:", "rate-limit": "requests per hour", "state": "no state yet, lock free",
	} {
		if !strings.Contains(checks[name].Detail, sub) {
			t.Errorf("check %s detail %q lacks %q", name, checks[name].Detail, sub)
		}
	}
	if n := s.sim.RequestCount() - before; n > doctorMaxRequests {
		t.Errorf("doctor sent %d Railway requests, at most %d allowed", n, doctorMaxRequests)
	}
	if n := s.sim.MutationCount(); n != 0 {
		t.Errorf("doctor sent %d mutations", n)
	}
	if posts := hook.posts(); len(posts) != 0 {
		t.Errorf("doctor without --send-test posted %q", posts)
	}
	assertNoSecrets(t, got, cliToken, s.redis.Password(), "s3cr3t-webhook-token")
	if _, err := os.Stat(filepath.Dir(s.statePath)); !os.IsNotExist(err) {
		t.Errorf("doctor created the state directory: %v", err)
	}

	code, checks, got = s.doctor(t, path, "--send-test")
	if code != ExitOK || !strings.Contains(checks["webhook/1"].Detail, "test message was posted") {
		t.Fatalf("--send-test: exit %d\n%s", code, got.stdout)
	}
	if posts := hook.posts(); len(posts) != 1 || !strings.Contains(posts[0], "test message") {
		t.Errorf("--send-test posted %q", posts)
	}
	text := run(t, s.env, "doctor", "-f", path)
	if text.code != ExitOK || !strings.Contains(text.stdout, "✓ redis ") || !strings.Contains(text.stdout, "all 12 checks passed") {
		t.Errorf("text output: exit %d\n%s", text.code, text.stdout)
	}
}

func assertNoSecrets(t *testing.T, got result, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(got.stdout, sec) || strings.Contains(got.stderr, sec) {
			t.Errorf("a secret (%.6s...) leaked into doctor's output", sec)
		}
	}
}

// TestDoctorRequestCap gives doctor more log filters to check than its
// request cap allows: it stops at 10 requests and says which were not
// checked.
func TestDoctorRequestCap(t *testing.T) {
	s := newDoctorScene(t)
	s.addRedis(t, "Redis", true)
	var logs strings.Builder
	for i := range 6 {
		fmt.Fprintf(&logs, "  - service: backend\n    contains: line %d\n", i)
	}
	path := s.spec(t, "probeTimeout: 2s\nlogs:\n"+logs.String(), "")
	before := s.sim.RequestCount()
	code, _, got := s.doctor(t, path)
	if n := s.sim.RequestCount() - before; n != doctorMaxRequests {
		t.Errorf("doctor sent %d Railway requests, want exactly the cap, %d", n, doctorMaxRequests)
	}
	if code != ExitOK || !strings.Contains(got.stdout, "not checked: doctor's 10 Railway requests are used") {
		t.Errorf("exit %d:\n%s", code, got.stdout)
	}
}

func TestDoctorRevokedToken(t *testing.T) {
	s := newDoctorScene(t)
	path := s.spec(t, "", "")
	s.env["RAILWAY_API_TOKEN"] = "tok-revoked-00000000000000000000"
	code, checks, got := s.doctor(t, path)
	c := checks["token"]
	if code != ExitFailure || c.OK || !strings.Contains(c.Detail, "RAILWAY_API_TOKEN was rejected by Railway: Not Authorized") || c.Fix == "" {
		t.Fatalf("exit %d:\n%s", code, got.stdout)
	}
	for _, dependent := range []string{"project", "consumer/backend", "addon", "variables", "redis", "rate-limit"} {
		if _, ok := checks[dependent]; ok {
			t.Errorf("check %s printed after the token failed", dependent)
		}
	}
	if !checks["state"].OK {
		t.Errorf("the state check did not run: %+v", checks["state"])
	}
	assertNoSecrets(t, got, "tok-revoked")

	delete(s.env, "RAILWAY_API_TOKEN")
	code, checks, _ = s.doctor(t, path)
	if c := checks["token"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, "no Railway token") {
		t.Errorf("no token: exit %d, %+v", code, c)
	}
	if n := s.sim.MutationCount(); n != 0 {
		t.Errorf("%d mutations", n)
	}
}

func TestDoctorProjectToken(t *testing.T) {
	s := newDoctorScene(t)
	path := s.spec(t, "", "")
	const tok = "ptok-5e6f7a8b9c0d1e2f3a4b5c6d"
	s.sim.AddToken(tok, railwaytest.ProjectToken, s.pid, s.eid)
	delete(s.env, "RAILWAY_API_TOKEN")
	s.env["RAILWAY_TOKEN"] = tok
	code, checks, got := s.doctor(t, path)
	if c := checks["token"]; !c.OK || !strings.Contains(c.Detail, "project token in RAILWAY_TOKEN") || !strings.Contains(c.Detail, "cannot create the addon") {
		t.Errorf("token: %+v", c)
	}
	if c := checks["addon"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, "refuses that to a project token") {
		t.Errorf("addon: exit %d\n%s", code, got.stdout)
	}
	if !checks["project"].OK || !checks["consumer/backend"].OK {
		t.Errorf("project token:\n%s", got.stdout)
	}
}

func TestDoctorWrongEnvironment(t *testing.T) {
	s := newDoctorScene(t)
	path := writeSpec(t, strings.Replace(testspec.Doc(testspec.Options{Endpoint: s.sim.URL(), ProjectID: "${RAILWAY_PROJECT_ID}", StatePath: s.statePath}),
		"environment: production", "environment: staging", 1))
	code, checks, got := s.doctor(t, path)
	c := checks["project"]
	if code != ExitFailure || c.OK || !strings.Contains(c.Detail, `environment "staging" not found in project "smartlic"`) ||
		!strings.Contains(c.Detail, `it has "production"`) || !strings.Contains(c.Fix, "railway.environment") {
		t.Fatalf("exit %d:\n%s", code, got.stdout)
	}
	if !checks["token"].OK {
		t.Errorf("token: %+v", checks["token"])
	}
	if _, ok := checks["consumer/backend"]; ok {
		t.Error("consumers checked in a missing environment")
	}
}

func TestDoctorMissingConsumerAndBrokenReference(t *testing.T) {
	s := newDoctorScene(t)
	body := testspec.Doc(testspec.Options{Endpoint: s.sim.URL(), ProjectID: "${RAILWAY_PROJECT_ID}", StatePath: s.statePath,
		RedisURL: "${{Reddis.REDIS_URL}}"})
	body = strings.Replace(body, "health:", "  - service: Worker\n    variables:\n      REDIS_URL: ${{Redis.REDIS_URL}}\nhealth:", 1)
	s.sim.AddService(s.pid, "worker", "")
	code, checks, got := s.doctor(t, writeSpec(t, body))
	if c := checks["consumer/Worker"]; code != ExitFailure || c.OK || !strings.Contains(c.Fix, `did you mean "worker"?`) {
		t.Errorf("consumer: exit %d\n%s", code, got.stdout)
	}
	if c := checks["variables"]; c.OK || !strings.Contains(c.Detail, `consumers[0].variables.REDIS_URL references service "Reddis"`) {
		t.Errorf("variables: %+v", c)
	}
	if c := checks["addon"]; !c.OK || !strings.Contains(c.Detail, `apply will create it from template "redis"`) {
		t.Errorf("addon: %+v", c)
	}
	if c := checks["redis"]; !c.OK || !strings.Contains(c.Detail, "nothing to probe yet") || !strings.Contains(c.Detail, "TCP proxy") {
		t.Errorf("redis: %+v", c)
	}
}

func TestDoctorPrivateRedis(t *testing.T) {
	s := newDoctorScene(t)
	s.addRedis(t, "Redis", false)
	code, checks, got := s.doctor(t, s.spec(t, "", ""))
	c := checks["redis"]
	if code != ExitFailure || c.OK || !strings.Contains(c.Detail, "redis://default:***@: (the addon's REDIS_PUBLIC_URL") ||
		!strings.Contains(c.Detail, "private network") || !strings.Contains(c.Fix, "TCP proxy") {
		t.Fatalf("exit %d:\n%s", code, got.stdout)
	}
	assertNoSecrets(t, got, "s3cr3t-redis-pw")
	// Inside Railway the private URL is the one probed: it does not
	// resolve here, which says so.
	s.env["RAILWAY_PRIVATE_DOMAIN"] = "reconciler.railway.internal"
	_, checks, _ = s.doctor(t, s.spec(t, "", ""))
	if c := checks["redis"]; c.OK || !strings.Contains(c.Detail, "redis://default:***@redis.railway.internal:6379 (the addon's REDIS_URL)") {
		t.Errorf("inside: %+v", c)
	}
}

func TestDoctorTwoRedisUnderOtherNames(t *testing.T) {
	s := newDoctorScene(t)
	s.addRedis(t, "cache", false)
	_, checks, _ := s.doctor(t, s.spec(t, "", ""))
	if c := checks["addon"]; c.OK || !strings.Contains(c.Detail, `"cache" (ghcr.io/railwayapp-templates/redis:8) run a Redis image`) {
		t.Errorf("addon: %+v", c)
	}
}

func TestDoctorUnreachableRedisAndEndpoint(t *testing.T) {
	s := newDoctorScene(t)
	closed := closedPort(t)
	s.env["REDIS_PUBLIC_URL"] = fmt.Sprintf("redis://default:s3cr3t-redis-pw@127.0.0.1:%d", closed)
	health := fmt.Sprintf("probeTimeout: 2s\nredis:\n  url: ${REDIS_PUBLIC_URL}\nendpoints:\n  - name: backend\n    url: http://127.0.0.1:%d/v1/health", closed)
	code, checks, got := s.doctor(t, s.spec(t, health, ""))
	if c := checks["redis"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, fmt.Sprintf("redis://default:***@127.0.0.1:%d (health.redis.url) fails from here at connect", closed)) {
		t.Errorf("redis: exit %d\n%s", code, got.stdout)
	}
	if c := checks["endpoint/backend"]; c.OK || !strings.Contains(c.Detail, "connection refused") {
		t.Errorf("endpoint: %+v", c)
	}
	assertNoSecrets(t, got, "s3cr3t-redis-pw")
}

// TestDoctorEveryHostHangs points Railway, Redis, an endpoint and a
// webhook at listeners that accept and never answer: doctor ends within
// probeTimeout per check plus 5 s, with one line for Railway.
func TestDoctorEveryHostHangs(t *testing.T) {
	hung := hungListener(t)
	s := newDoctorScene(t)
	s.env["REDIS_PUBLIC_URL"] = "redis://default:pw@" + hung
	s.env["HOOK_URL"] = "http://" + hung + "/hook"
	health := fmt.Sprintf("probeTimeout: 500ms\nredis:\n  url: ${REDIS_PUBLIC_URL}\nendpoints:\n  - name: backend\n    url: http://%s/v1/health", hung)
	body := testspec.Doc(testspec.Options{Endpoint: "http://" + hung + "/graphql/v2", ProjectID: "${RAILWAY_PROJECT_ID}",
		StatePath: s.statePath, Health: health, Extra: "report:\n  sinks:\n    - webhook: ${HOOK_URL}\n"})
	path := writeSpec(t, body)
	start := time.Now()
	code, checks, got := s.doctor(t, path, "--send-test")
	elapsed := time.Since(start)
	if limit := 500*time.Millisecond*time.Duration(len(checks)) + doctorMargin; elapsed > limit {
		t.Errorf("doctor took %s with every host hung, limit %s", elapsed, limit)
	}
	t.Logf("doctor took %s", elapsed.Round(time.Millisecond))
	if c := checks["token"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, "did not answer") {
		t.Errorf("token: exit %d\n%s", code, got.stdout)
	}
	if n := strings.Count(got.stdout, "did not answer"); n != 1 {
		t.Errorf("%d lines about Railway, want 1:\n%s", n, got.stdout)
	}
	for _, name := range []string{"redis", "endpoint/backend", "webhook/1"} {
		if c, ok := checks[name]; !ok || c.OK {
			t.Errorf("check %s: %+v", name, c)
		}
	}
	if strings.Count(got.stderr, "\n") > 2 {
		t.Errorf("doctor logged a stack of lines:\n%s", got.stderr)
	}
}

// hungListener accepts connections and never answers; it returns its
// address.
func hungListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}
