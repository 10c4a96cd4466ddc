package spec

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // CRON_TZ in valid-full.yaml on machines without zoneinfo
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Secret values of the test environment: no output may contain them.
const (
	redisPassword    = "s3cr3t-redis-pw"
	webhookToken     = "s3cr3t-webhook-token"
	postgresPassword = "s3cr3t-postgres-pw"
	statusToken      = "s3cr3t-status-token"
)

var testEnv = map[string]string{
	"RAILWAY_PROJECT_ID":      "proj-123",
	"REDIS_PUBLIC_URL":        "redis://default:" + redisPassword + "@proxy.rlwy.net:12345",
	"SLACK_WEBHOOK_URL":       "https://hooks.slack.com/services/T000/B000/" + webhookToken,
	"DATABASE_URL":            "postgresql://postgres:" + postgresPassword + "@postgres.railway.internal:5432/railway",
	"RECONCILER_STATUS_TOKEN": statusToken,
}

// secrets are the secret values of testEnv.
var secrets = []string{redisPassword, webhookToken, postgresPassword, statusToken}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

const minimal = `version: 1
name: test
railway:
  projectId: ${RAILWAY_PROJECT_ID}
  environment: production
addon:
  service: Redis
consumers:
  - service: backend
    variables:
      REDIS_URL: ${{Redis.REDIS_URL}}
`

func mustParse(t *testing.T, doc string) *Spec {
	t.Helper()
	s, err := Parse("desired.yaml", []byte(doc), lookup(testEnv))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// parseErr parses doc and returns its error lines.
func parseErr(t *testing.T, doc string) []string {
	t.Helper()
	_, err := Parse("desired.yaml", []byte(doc), lookup(testEnv))
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse error = %v, want *Errors", err)
	}
	return strings.Split(errs.Error(), "\n")
}

func TestValidFullGolden(t *testing.T) {
	for _, name := range []string{"valid-full", "valid-postgres"} {
		s, err := Load("testdata/"+name+".yaml", lookup(testEnv))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := s.Print(&out); err != nil {
			t.Fatal(err)
		}
		golden := "testdata/" + name + ".golden"
		if *update {
			if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./spec -run TestValidFullGolden -update)", err)
		}
		if out.String() != string(want) {
			t.Errorf("Print output differs from %s (rerun with -update if intended):\n%s", golden, out.String())
		}
		for _, secret := range secrets {
			if strings.Contains(out.String(), secret) {
				t.Errorf("Print leaks %q", secret)
			}
		}
	}
}

func TestValidFullValues(t *testing.T) {
	s, err := Load("testdata/valid-full.yaml", lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	if s.File != "testdata/valid-full.yaml" || len(s.Hash) != 64 {
		t.Errorf("File, Hash = %q, %q", s.File, s.Hash)
	}
	if got := s.Health.Redis.URL.Value(); got != testEnv["REDIS_PUBLIC_URL"] {
		t.Errorf("redis url = %q", got)
	}
	if got := s.Report.Sinks[2].URL.Value(); got != testEnv["SLACK_WEBHOOK_URL"] {
		t.Errorf("webhook = %q", got)
	}
	if got := s.Consumers[0].Variables["TEMPLATE"]; got != "${NOT_INTERPOLATED}" {
		t.Errorf("$${ escape gave %q", got)
	}
	if s.Railway.Environment != "staging" || s.Health.Redis.MaxMemory != 256<<20 {
		t.Errorf("environment, maxMemory = %q, %d", s.Railway.Environment, s.Health.Redis.MaxMemory)
	}
	ex := s.Health.Endpoints[0].Expect
	if ex[0].Equals != "connected" || ex[1].Equals != true || ex[2].Equals != float64(0) ||
		*ex[3].LessThan != 50 || *ex[4].GreaterThan != 0.5 || !*ex[5].Exists {
		t.Errorf("expectations = %+v", ex)
	}
	// Written in the spec: exactly these, the other variables untouched.
	wantVars := map[string]string{"QUEUE_PREFIX": "jobs-fallback"}
	if len(s.Rollback.Variables) != len(wantVars) {
		t.Errorf("rollback variables = %v, want %v", s.Rollback.Variables, wantVars)
	}
	for k, v := range wantVars {
		if s.Rollback.Variables[k] != v {
			t.Errorf("rollback variable %s = %q, want %q", k, s.Rollback.Variables[k], v)
		}
	}
	if s.Schedule.Probe.Every != 0 || s.Schedule.Reconcile.Every != 2*time.Minute {
		t.Errorf("Every = %v, %v", s.Schedule.Probe.Every, s.Schedule.Reconcile.Every)
	}
}

func TestExampleValidates(t *testing.T) {
	env := map[string]string{"RAILWAY_PROJECT_ID": "proj-123", "SLACK_WEBHOOK_URL": testEnv["SLACK_WEBHOOK_URL"]}
	s, err := Load("../examples/desired.yaml", lookup(env))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "smartlic-production" || len(s.Report.Sinks) != 3 || !s.Health.Redis.URL.IsZero() {
		t.Errorf("unexpected example spec: %+v", s)
	}
	// Without its variables, the example names each one that is missing.
	_, err = Load("../examples/desired.yaml", nil)
	for _, name := range []string{"RAILWAY_PROJECT_ID", "SLACK_WEBHOOK_URL"} {
		if err == nil || !strings.Contains(err.Error(), "environment variable "+name+" is not set") {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
}

func TestDefaults(t *testing.T) {
	s := mustParse(t, minimal)
	checks := []struct {
		name      string
		got, want any
	}{
		{"railway.endpoint", s.Railway.Endpoint, DefaultEndpoint},
		{"railway.maxRequestsPerHour", s.Railway.MaxRequestsPerHour, DefaultMaxRequestsPerHour},
		{"addon.template", s.Addon.Template, DefaultTemplate},
		{"addon.create", s.Addon.Create, true},
		{"consumers[0].deploy", s.Consumers[0].Deploy, true},
		{"health.probeTimeout", s.Health.ProbeTimeout, DefaultProbeTimeout},
		{"health.redis.url", s.Health.Redis.URL.Value(), ""},
		{"health.redis.maxLatency", s.Health.Redis.MaxLatency, DefaultMaxLatency},
		{"health.redis.maxMemory", s.Health.Redis.MaxMemory, Size(0)},
		{"health.redis.pubsub", s.Health.Redis.PubSub, true},
		{"health.redis.expectKeys", s.Health.Redis.ExpectKeys, ""},
		{"health.endpoints", len(s.Health.Endpoints), 0},
		{"health.logs", len(s.Health.Logs), 0},
		{"rollback.enabled", s.Rollback.Enabled, true},
		{"rollback.failureThreshold", s.Rollback.FailureThreshold, DefaultFailureThreshold},
		{"rollback.recoveryThreshold", s.Rollback.RecoveryThreshold, DefaultRecoveryThreshold},
		{"rollback.minRolledBack", s.Rollback.MinRolledBack, DefaultMinRolledBack},
		{"rollback.maxRollbacks", s.Rollback.MaxRollbacks, DefaultMaxRollbacks},
		{"rollback.rollbackWindow", s.Rollback.RollbackWindow, DefaultRollbackWindow},
		{"rollback.variables", len(s.Rollback.Variables), 1},
		{"rollback.variables.REDIS_URL", s.Rollback.Variables["REDIS_URL"], ""},
		{"schedule.reconcile", s.Schedule.Reconcile.Expr, DefaultReconcileSchedule},
		{"schedule.reconcile.every", s.Schedule.Reconcile.Every, time.Minute},
		{"schedule.probe", s.Schedule.Probe.Expr, DefaultProbeSchedule},
		{"schedule.probe.every", s.Schedule.Probe.Every, 5 * time.Second},
		{"schedule.report", s.Schedule.Report.Expr, DefaultReportSchedule},
		{"schedule.report.every", s.Schedule.Report.Every, time.Duration(0)},
		{"report.format", s.Report.Format, DefaultReportFormat},
		{"report.sinks", len(s.Report.Sinks), 1},
		{"report.sinks[0]", s.Report.Sinks[0].Kind, SinkStdout},
		{"state.path", s.State.Path, DefaultStatePath},
		{"server.listen", s.Server.Listen, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, c := range []Cron{s.Schedule.Reconcile, s.Schedule.Probe, s.Schedule.Report} {
		if c.Schedule == nil {
			t.Errorf("schedule %q not parsed", c.Expr)
		}
	}
	ep := mustParse(t, minimal+"health:\n  endpoints:\n    - {name: b, url: 'http://b/h'}\n  logs:\n    - {service: backend, contains: up}\n")
	if ep.Health.Endpoints[0].Status != DefaultEndpointStatus || ep.Health.Logs[0].Within != DefaultLogWithin {
		t.Errorf("endpoint status, log within = %d, %v", ep.Health.Endpoints[0].Status, ep.Health.Logs[0].Within)
	}
}

func TestSinksNullAndEmpty(t *testing.T) {
	if s := mustParse(t, minimal+"report:\n  sinks:\n"); len(s.Report.Sinks) != 1 {
		t.Errorf("null sinks = %v, want the default [stdout]", s.Report.Sinks)
	}
	if s := mustParse(t, minimal+"report:\n  sinks: []\n"); len(s.Report.Sinks) != 0 {
		t.Errorf("empty sinks = %v, want none", s.Report.Sinks)
	}
}

func TestAliasesExpand(t *testing.T) {
	doc := minimal + "  - service: worker\n    variables: &v\n      REDIS_URL: ${{Redis.REDIS_URL}}\n  - service: cron\n    variables: *v\n"
	s := mustParse(t, doc)
	if c, ok := s.Consumer("cron"); !ok || c.Variables["REDIS_URL"] != "${{Redis.REDIS_URL}}" {
		t.Errorf("alias not expanded: %+v", c)
	}
}

func TestHash(t *testing.T) {
	base := mustParse(t, minimal)
	commented := mustParse(t, "# a comment\n"+strings.ReplaceAll(minimal, "production", "production   # here"))
	if base.Hash != commented.Hash {
		t.Error("comments changed the hash")
	}
	explicit := mustParse(t, minimal+"rollback:\n  failureThreshold: 3\n")
	if base.Hash != explicit.Hash {
		t.Error("writing a default out changed the hash")
	}
	other := mustParse(t, strings.ReplaceAll(minimal, "production", "staging"))
	if base.Hash == other.Hash {
		t.Error("a different environment kept the hash")
	}
	withURL := func(pw string) string {
		env := map[string]string{"RAILWAY_PROJECT_ID": "p", "URL": "redis://default:" + pw + "@h:1"}
		s, err := Parse("x", []byte(minimal+"health:\n  redis:\n    url: ${URL}\n"), lookup(env))
		if err != nil {
			t.Fatal(err)
		}
		return s.Hash
	}
	if withURL("one") == withURL("two") {
		t.Error("a different Redis password kept the hash")
	}
}

func TestHelpers(t *testing.T) {
	s := mustParse(t, minimal+"  - service: worker\n    variables: {B: x, A: y, C: z}\n")
	c, ok := s.Consumer("worker")
	if !ok || strings.Join(c.SortedNames(), ",") != "A,B,C" {
		t.Errorf("Consumer(worker) = %+v, %v", c, ok)
	}
	if _, ok := s.Consumer("nope"); ok {
		t.Error("Consumer(nope) found")
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "d.yaml", Line: 3, Col: 1, Path: "railway.projectId", Msg: "m"}, "d.yaml:3:1: railway.projectId: m"},
		{Error{File: "d.yaml", Line: 3, Col: 1, Msg: "m"}, "d.yaml:3:1: m"},
		{Error{File: "d.yaml", Msg: "m"}, "d.yaml: m"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestErrorsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(minimal)
	for range 150 {
		b.WriteString("  - service: dup\n    variables: {A: b}\n")
	}
	lines := parseErr(t, b.String())
	if len(lines) != maxReported+1 || lines[maxReported] != "desired.yaml: 49 more problems not shown" {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

// TestPrintRoundTrips checks that validate --print output is itself a valid
// spec (once the masked webhook is given a URL again) that prints the same.
func TestPrintRoundTrips(t *testing.T) {
	for _, file := range []string{"testdata/valid-full.yaml", "testdata/valid-postgres.yaml", "../examples/desired.yaml"} {
		s, err := Load(file, lookup(testEnv))
		if err != nil {
			t.Fatal(err)
		}
		var first bytes.Buffer
		if err := s.Print(&first); err != nil {
			t.Fatal(err)
		}
		again := strings.NewReplacer("webhook: '***'", "webhook: https://hooks.example.com/x",
			"url: postgresql://postgres:***@", "url: ${DATABASE_URL}\n    # was: ",
			"token: '***'", "token: ${RECONCILER_STATUS_TOKEN}").Replace(first.String())
		s2, err := Parse("printed.yaml", []byte(again), lookup(testEnv))
		if err != nil {
			t.Fatalf("%s: printed spec does not parse: %v\n%s", file, err, first.String())
		}
		var second bytes.Buffer
		if err := s2.Print(&second); err != nil {
			t.Fatal(err)
		}
		if first.String() != second.String() {
			t.Errorf("%s: print is not stable:\n%s\n---\n%s", file, first.String(), second.String())
		}
	}
}

func TestRollbackVariablesNullIsTheDefault(t *testing.T) {
	s := mustParse(t, minimal+"rollback:\n  variables:\n")
	if len(s.Rollback.Variables) != 1 || s.Rollback.Variables["REDIS_URL"] != "" {
		t.Fatalf("rollback variables = %v, want the default {REDIS_URL: \"\"}", s.Rollback.Variables)
	}
	if _, ok := s.Rollback.Variables["REDIS_URL"]; !ok {
		t.Fatal("REDIS_URL missing from the default rollback variables")
	}
}
