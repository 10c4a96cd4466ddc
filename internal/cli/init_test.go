package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// initSpec runs init against the scene and returns the result and the
// path it was asked to write.
func (s *doctorScene) init(t *testing.T, args ...string) (result, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "desired.yaml")
	return s.initTo(t, out, args...), out
}

func (s *doctorScene) initTo(t *testing.T, out string, args ...string) result {
	t.Helper()
	base := []string{"init", "--project", s.pid, "--environment", "production", "--out", out, "--endpoint", s.sim.URL()}
	return run(t, s.env, append(base, args...)...)
}

// readSpec returns the file init wrote, checking that it holds no secret
// and no literal project id.
func (s *doctorScene) readSpec(t *testing.T, path string, secrets ...string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range append(secrets, cliToken, s.pid) {
		if strings.Contains(string(b), sec) {
			t.Errorf("the spec holds %q:\n%s", sec, b)
		}
	}
	if !strings.Contains(string(b), "projectId: ${RAILWAY_PROJECT_ID}") {
		t.Errorf("the spec does not interpolate the project id:\n%s", b)
	}
	return string(b)
}

// TestInitThenPlanIsInSync: a project with its Redis and a bound backend
// gives a spec that validates, passes doctor and plans no change.
func TestInitThenPlanIsInSync(t *testing.T) {
	s := newDoctorScene(t)
	s.addRedis(t, "Redis", true)
	s.sim.SetVariables(s.eid, s.backendID, map[string]string{"CACHE_PASSWORD": "${{Redis.REDIS_PASSWORD}}", "OTHER": "plain"})
	got, path := s.init(t)
	if got.code != ExitOK || !strings.Contains(got.stdout, "addon     Redis (found, image ghcr.io/railwayapp-templates/redis:8)") ||
		!strings.Contains(got.stdout, "consumer  backend: CACHE_PASSWORD = ${{Redis.REDIS_PASSWORD}}, REDIS_URL = ${{Redis.REDIS_URL}}") {
		t.Fatalf("init exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	body := s.readSpec(t, path, s.redis.Password())
	if strings.Contains(body, "OTHER") || strings.Contains(body, "\nhealth:") {
		t.Errorf("the spec declares more than asked:\n%s", body)
	}
	if v := run(t, s.env, "validate", "-f", path); v.code != ExitOK {
		t.Fatalf("validate: %+v\n%s", v, body)
	}
	if d := run(t, s.env, "doctor", "-f", path); d.code != ExitOK {
		t.Errorf("doctor on init's spec: exit %d\n%s", d.code, d.stdout)
	}
	plan := run(t, s.env, "plan", "-f", path)
	if plan.code != ExitOK || !strings.Contains(plan.stdout, "no changes") {
		t.Fatalf("plan on init's spec: exit %d\n%s%s\nspec:\n%s", plan.code, plan.stdout, plan.stderr, body)
	}
	if n := s.sim.MutationCount(); n != 0 {
		t.Errorf("init, doctor and plan sent %d mutations", n)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	s := newDoctorScene(t)
	out := filepath.Join(t.TempDir(), "desired.yaml")
	if err := os.WriteFile(out, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := s.initTo(t, out)
	if got.code != ExitInvalid || !strings.Contains(got.stderr, "exists: init never overwrites a file without --force") {
		t.Fatalf("exit %d: %s", got.code, got.stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "mine\n" {
		t.Fatalf("the file was changed: %q", b)
	}
	if n := s.sim.RequestCount(); n != 0 {
		t.Errorf("init read Railway before refusing: %d requests", n)
	}
	if got := s.initTo(t, out, "--force"); got.code != ExitOK {
		t.Fatalf("--force: exit %d: %s", got.code, got.stderr)
	}
	s.readSpec(t, out)
}

// TestInitWithoutRedis: the sandbox has only a backend: the spec creates
// the addon, the backend is guessed, and plan shows the creation.
func TestInitWithoutRedis(t *testing.T) {
	s := newDoctorScene(t)
	got, path := s.init(t, "--health-url", "https://backend.example.com/v1/health")
	if got.code != ExitOK || !strings.Contains(got.stdout, "addon     Redis (not found: apply creates it)") ||
		!strings.Contains(got.stdout, `"backend" is a consumer (guessed: the only application service in "production")`) {
		t.Fatalf("init exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	body := s.readSpec(t, path)
	if !strings.Contains(body, "      url: https://backend.example.com/v1/health\n") {
		t.Errorf("no health endpoint:\n%s", body)
	}
	if v := run(t, s.env, "validate", "-f", path); v.code != ExitOK {
		t.Fatalf("validate: %+v\n%s", v, body)
	}
	plan := run(t, s.env, "plan", "-f", path)
	if plan.code != ExitDrift || !strings.Contains(plan.stdout, "create addon Redis") {
		t.Fatalf("plan: exit %d\n%s%s", plan.code, plan.stdout, plan.stderr)
	}
}

// TestInitCannotGuessConsumers: two application services and nothing that
// uses Redis: init asks for --consumer, and takes it.
func TestInitCannotGuessConsumers(t *testing.T) {
	s := newDoctorScene(t)
	s.sim.AddService(s.pid, "worker", "")
	s.sim.AddService(s.pid, "Postgres", "ghcr.io/railwayapp-templates/postgres-ssl:17")
	got, path := s.init(t)
	if got.code != ExitInvalid || !strings.Contains(got.stderr, `init cannot tell which of "backend", "worker" should: name them with --consumer NAME`) {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("init wrote a file: %v", err)
	}
	got = s.initTo(t, path, "--consumer", "worker", "--consumer", "backend")
	if got.code != ExitOK || !strings.Contains(got.stdout, "consumer  backend: REDIS_URL = ${{Redis.REDIS_URL}}\n  consumer  worker:") {
		t.Fatalf("--consumer: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if got := s.initTo(t, path, "--force", "--consumer", "nope"); got.code != ExitInvalid || !strings.Contains(got.stderr, `--consumer "nope": no such service`) {
		t.Errorf("unknown --consumer: %+v", got)
	}
}

// TestInitTwoRedis: two Redis services, each used: init lists them and
// asks for --addon; with one used only, it picks that one and says so.
func TestInitTwoRedis(t *testing.T) {
	s := newDoctorScene(t)
	s.addRedis(t, "Redis", false)
	s.addRedis(t, "cache", false)
	worker := s.sim.AddService(s.pid, "worker", "")
	s.sim.SetVariables(s.eid, worker, map[string]string{"REDIS_URL": "${{Redis.REDIS_URL}}"})
	got, path := s.init(t)
	want := `"production" has 2 Redis services: "Redis" (ghcr.io/railwayapp-templates/redis:8, used by worker), "cache" (ghcr.io/railwayapp-templates/redis:8, used by backend); a spec manages one: choose it with --addon NAME`
	if got.code != ExitInvalid || !strings.Contains(got.stderr, want) {
		t.Fatalf("exit %d\n%s", got.code, got.stderr)
	}
	got = s.initTo(t, path, "--addon", "cache")
	if got.code != ExitOK || !strings.Contains(got.stdout, "consumer  backend: REDIS_URL = ${{cache.REDIS_URL}}") || strings.Contains(got.stdout, "worker") {
		t.Fatalf("--addon cache: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if v := run(t, s.env, "validate", "-f", path); v.code != ExitOK {
		t.Fatalf("validate: %+v", v)
	}
	// Only one of them in use: init picks it and names the other.
	s.sim.SetVariables(s.eid, s.backendID, map[string]string{"REDIS_URL": "${{Redis.REDIS_URL}}"})
	got = s.initTo(t, path, "--force")
	if got.code != ExitOK || !strings.Contains(got.stdout, `init chose "Redis", the only one in use`) {
		t.Fatalf("one used: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	s.readSpec(t, path, "s3cr3t-redis-pw")
}

// TestInitRenamedService: backend references a service that is gone (the
// Redis was renamed): init points the reference at the Redis, and says so.
func TestInitRenamedService(t *testing.T) {
	s := newDoctorScene(t)
	s.addRedis(t, "Redis", false)
	s.sim.SetVariables(s.eid, s.backendID, map[string]string{"REDIS_URL": "${{Cache.REDIS_URL}}", "REDIS_HOST": "${{ Cache.REDISHOST }}"})
	got, path := s.init(t)
	note := `"backend"'s REDIS_URL references ${{Cache.REDIS_URL}}, but "production" has no service "Cache" (renamed or deleted?), so Railway renders it empty: init declares REDIS_URL = ${{Redis.REDIS_URL}}`
	if got.code != ExitOK || !strings.Contains(got.stdout, note) || !strings.Contains(got.stdout, "REDIS_HOST = ${{Redis.REDISHOST }}") {
		t.Fatalf("init exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	body := s.readSpec(t, path)
	if !strings.Contains(body, "(renamed or deleted?)") {
		t.Errorf("the note is not in the file:\n%s", body)
	}
	if v := run(t, s.env, "validate", "-f", path); v.code != ExitOK {
		t.Fatalf("validate: %+v\n%s", v, body)
	}
	// With no Redis at all, the missing service is the addon to create.
	s2 := newDoctorScene(t)
	s2.sim.SetVariables(s2.eid, s2.backendID, map[string]string{"REDIS_URL": "${{Cache.REDIS_URL}}"})
	got, path = s2.init(t)
	if got.code != ExitOK || !strings.Contains(got.stdout, `init names the addon "Cache"`) || !strings.Contains(got.stdout, "REDIS_URL = ${{Cache.REDIS_URL}}") {
		t.Fatalf("no Redis: exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	if v := run(t, s2.env, "validate", "-f", path); v.code != ExitOK {
		t.Fatalf("validate the spec naming the addon to create: %+v", v)
	}
}

// TestInitNeverCopiesASecret: a consumer whose REDIS_URL holds the
// password in clear gets the reference instead.
func TestInitNeverCopiesASecret(t *testing.T) {
	s := newDoctorScene(t)
	s.addRedis(t, "Redis", false)
	s.sim.SetVariables(s.eid, s.backendID, map[string]string{
		"REDIS_URL":   "redis://default:hunter2-literal@${{Redis.REDISHOST}}:6379",
		"CACHE_TOKEN": "tok ${{Redis.REDIS_PASSWORD}}"})
	got, path := s.init(t)
	if got.code != ExitOK || !strings.Contains(got.stdout, `"backend"'s CACHE_TOKEN is not copied`) ||
		!strings.Contains(got.stdout, "REDIS_URL = ${{Redis.REDIS_URL}}") {
		t.Fatalf("init exit %d\n%s%s", got.code, got.stdout, got.stderr)
	}
	s.readSpec(t, path, "hunter2-literal", "s3cr3t-redis-pw")
	if strings.Contains(got.stdout+got.stderr, "hunter2-literal") {
		t.Error("init printed the password")
	}
}

func TestInitBadInput(t *testing.T) {
	s := newDoctorScene(t)
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"init", "--environment", "production"}, ExitInvalid, "--project is required"},
		{[]string{"init", "--project", s.pid}, ExitInvalid, "--environment is required"},
		{[]string{"init", "--project", s.pid, "--environment", "production", "--health-url", "ftp://x"}, ExitInvalid, "--health-url must be an http or https URL"},
	} {
		env := map[string]string{"RAILWAY_API_TOKEN": cliToken}
		if got := run(t, env, tt.args...); got.code != tt.code || !strings.Contains(got.stderr, tt.msg) {
			t.Errorf("%q: %+v", tt.args, got)
		}
	}
	if got, _ := s.init(t, "--environment", "staging"); got.code != ExitFailure || !strings.Contains(got.stderr, `environment "staging" not found in project "smartlic"`) {
		t.Errorf("wrong environment: %+v", got)
	}
	s.env["RAILWAY_API_TOKEN"] = "tok-revoked-00000000000000000000"
	if got, _ := s.init(t); got.code != ExitFailure || !strings.Contains(got.stderr, "RAILWAY_API_TOKEN was rejected by Railway") {
		t.Errorf("revoked token: %+v", got)
	}
}
