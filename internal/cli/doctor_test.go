package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartlic/reconciler/internal/testspec"
	"github.com/smartlic/reconciler/railway/railwaytest"
)

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

// TestDoctorFleet: a spec managing several environments is checked in the
// first one it manages; one that matches none fails.
func TestDoctorFleet(t *testing.T) {
	s := newDoctorScene(t)
	s.sim.AddEnvironment(s.pid, "staging")
	fleet := func(line string) string {
		return writeSpec(t, strings.Replace(testspec.Doc(testspec.Options{Endpoint: s.sim.URL(), ProjectID: "${RAILWAY_PROJECT_ID}", StatePath: s.statePath}),
			"  environment: production\n", line, 1))
	}
	_, checks, got := s.doctor(t, fleet("  environments: [staging, production, gone]\n"))
	if c := checks["project"]; !c.OK || !strings.Contains(c.Detail, `2 environments managed: "staging", "production"; the checks below look at "staging"`) {
		t.Errorf("fleet:\n%s", got.stdout)
	}
	if c := checks["consumer/backend"]; !c.OK || !strings.Contains(c.Detail, `found in "staging"`) {
		t.Errorf("consumer: %+v", c)
	}
	code, checks, _ := s.doctor(t, fleet("  environmentPattern: pr-*\n"))
	if c := checks["project"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, "no environment of project") {
		t.Errorf("no match: %+v", c)
	}
}

// TestDoctorRailwayRefused: nothing listens at railway.endpoint (no
// network, a wrong endpoint): one ✗ line at once, no retries.
func TestDoctorRailwayRefused(t *testing.T) {
	s := newDoctorScene(t)
	body := testspec.Doc(testspec.Options{Endpoint: fmt.Sprintf("http://127.0.0.1:%d/graphql/v2", closedPort(t)),
		ProjectID: "${RAILWAY_PROJECT_ID}", StatePath: s.statePath})
	start := time.Now()
	code, checks, got := s.doctor(t, writeSpec(t, body))
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("doctor took %s against a refused connection", elapsed)
	}
	if c := checks["token"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, "did not answer") || !strings.Contains(c.Detail, "connection refused") {
		t.Errorf("exit %d:\n%s", code, got.stdout)
	}
	if len(checks) != 3 || got.stderr != "" {
		t.Errorf("want spec, token and state only, and nothing logged:\n%s\nstderr:\n%s", got.stdout, got.stderr)
	}
}

// TestDoctorSendTestFails: a removed Slack webhook answers 404: one post,
// a ✗ line with Slack's answer, and the URL nowhere.
func TestDoctorSendTestFails(t *testing.T) {
	s := newDoctorScene(t)
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		posts.Add(1)
		http.Error(w, "no_service", http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	s.env["HOOK_URL"] = srv.URL + "/services/T000/B000/s3cr3t-webhook-token"
	path := s.spec(t, "", "report:\n  sinks:\n    - webhook: ${HOOK_URL}\n")
	code, checks, got := s.doctor(t, path, "--send-test")
	if c := checks["webhook/1"]; code != ExitFailure || c.OK || !strings.Contains(c.Detail, "HTTP 404: no_service") || posts.Load() != 1 {
		t.Errorf("exit %d, %d posts:\n%s", code, posts.Load(), got.stdout)
	}
	assertNoSecrets(t, got, "s3cr3t-webhook-token", srv.URL)
}
