package spec

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestNewFieldDefaults checks the defaults of the fields added for issues
// 11 to 15, and that a spec without them means what it meant before.
func TestNewFieldDefaults(t *testing.T) {
	s := mustParse(t, minimal)
	checks := []struct {
		name      string
		got, want any
	}{
		{"addon.createGrace", s.Addon.CreateGrace, 15 * time.Minute},
		{"state.backend", s.State.Backend, StateBackendFile},
		{"state.postgres.url", s.State.Postgres.URL.IsZero(), true},
		{"state.postgres.leaseDuration", s.State.Postgres.LeaseDuration, 15 * time.Second},
		{"state.postgres.renewDeadline", s.State.Postgres.RenewDeadline, 10 * time.Second},
		{"state.postgres.retryPeriod", s.State.Postgres.RetryPeriod, 2 * time.Second},
		{"server.auth.token", s.Server.Auth.Token.IsZero(), true},
		{"railway.environment", s.Railway.Environment, "production"},
		{"railway.environments", len(s.Railway.Environments), 0},
		{"railway.environmentPattern", s.Railway.EnvironmentPattern, ""},
		{"railway generated", s.Railway.Generated(), false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestPostgresBackend(t *testing.T) {
	s, err := Load("testdata/valid-postgres.yaml", lookup(testEnv))
	if err != nil {
		t.Fatal(err)
	}
	pg := s.State.Postgres
	if s.State.Backend != StateBackendPostgres || pg.URL.Value() != testEnv["DATABASE_URL"] ||
		pg.LeaseDuration != 30*time.Second || pg.RenewDeadline != 20*time.Second || pg.RetryPeriod != 5*time.Second {
		t.Errorf("state = %+v", s.State)
	}
	if s.Server.Auth.Token.Value() != statusToken || s.Addon.CreateGrace != 30*time.Minute {
		t.Errorf("token, createGrace = %v, %v", s.Server.Auth.Token, s.Addon.CreateGrace)
	}
	backend := minimal + "state:\n  backend: postgres\n  postgres:\n    url: ${DATABASE_URL}\n"
	tests := []struct {
		name, doc, env, want string
	}{
		{"empty host (Railway's public URL without a TCP proxy)", backend, "postgresql://postgres:pw@:/railway",
			"desired.yaml:15:10: state.postgres.url: the URL has an empty host"},
		{"bad port", backend, "postgres://u:pw@db:99999/x", "state.postgres.url: the URL's port must be a number from 1 to 65535"},
		{"not a URL", backend, "host=db user=u password=pw", "must be a postgres:// or postgresql:// URL"},
		{"renew deadline by default too long for the lease", backend + "    leaseDuration: 5s\n", "postgres://u:pw@db/x",
			"desired.yaml:16:20: state.postgres.leaseDuration: must be longer than state.postgres.renewDeadline (10s), got 5s"},
		{"retry period by default placed at the written field", backend + "    retryPeriod: 12s\n", "postgres://u:pw@db/x",
			"desired.yaml:16:18: state.postgres.renewDeadline: must be longer than state.postgres.retryPeriod (12s), got 10s"},
		{"password in a default", minimal + "state:\n  backend: postgres\n  postgres:\n    url: ${DB:-postgres://u:pw@db/x}\n", "",
			"state.postgres.url: the URL's password is written in the file"},
		{"password literal around a variable", minimal + "state:\n  backend: postgres\n  postgres:\n    url: postgres://u:pw@${DBHOST}/x\n", "",
			"state.postgres.url: the URL's password is written in the file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"RAILWAY_PROJECT_ID": "p", "DATABASE_URL": tt.env, "DBHOST": "db"}
			_, err := Parse("desired.yaml", []byte(tt.doc), lookup(env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("error quotes the password: %v", err)
			}
		})
	}
	// A Unix socket needs no host.
	env := map[string]string{"RAILWAY_PROJECT_ID": "p", "DATABASE_URL": "postgres:///db?host=/run/postgresql"}
	if _, err := Parse("desired.yaml", []byte(backend), lookup(env)); err != nil {
		t.Errorf("socket URL: %v", err)
	}
}

func TestAuthToken(t *testing.T) {
	doc := func(token string) string { return minimal + "server:\n  auth:\n    token: " + token + "\n" }
	env := lookup(map[string]string{"RAILWAY_PROJECT_ID": "p", "TOKEN": "abc.DEF-123_~+/==", "SPACED": "sp ace", "EMPTY": ""})
	for _, ok := range []string{"${TOKEN}", "${EMPTY}", "${UNSET:-}", "'${TOKEN}'"} {
		if _, err := Parse("desired.yaml", []byte(doc(ok)), env); err != nil {
			t.Errorf("token %s: %v", ok, err)
		}
	}
	tests := []struct{ token, want string }{
		{"hunter2", "server.auth.token: a secret written in the file"},
		{"Bearer-${TOKEN}", "server.auth.token: a secret written in the file"},
		{"${UNSET:-hunter2}", "server.auth.token: a secret written in the file"},
		{"'${{shared.TOKEN}}'", "server.auth.token: a Railway reference ${{...}} is not resolved in the reconciler's spec"},
		{"${SPACED}", "server.auth.token: must be a bearer token"},
		{"${UNSET}", "server.auth.token: environment variable UNSET is not set"},
	}
	for _, tt := range tests {
		_, err := Parse("desired.yaml", []byte(doc(tt.token)), env)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("token %s: error = %v, want one line with %q", tt.token, err, tt.want)
		}
		if err != nil && (strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "sp ace")) {
			t.Errorf("token %s: error quotes the value: %v", tt.token, err)
		}
	}
}

func TestEnvironmentGenerator(t *testing.T) {
	list := mustParse(t, strings.Replace(minimal, "environment: production", "environments: [production, staging]", 1))
	pattern := mustParse(t, strings.Replace(minimal, "environment: production", `environmentPattern: "pr-*"`, 1))
	single := mustParse(t, minimal)
	available := []string{"pr-12", "staging", "production", "pr-3", "preview"}
	tests := []struct {
		name string
		s    *Spec
		want []string
	}{
		{"list, in spec order", list, []string{"production", "staging"}},
		{"pattern, sorted", pattern, []string{"pr-12", "pr-3"}},
		{"single", single, []string{"production"}},
	}
	for _, tt := range tests {
		if got := tt.s.Railway.SelectEnvironments(available); !slices.Equal(got, tt.want) {
			t.Errorf("%s: SelectEnvironments = %v, want %v", tt.name, got, tt.want)
		}
	}
	// An environment that disappears stops being managed; nothing else moves.
	if got := list.Railway.SelectEnvironments([]string{"staging"}); !slices.Equal(got, []string{"staging"}) {
		t.Errorf("after production is gone: %v", got)
	}
	if !list.Railway.Generated() || !pattern.Railway.Generated() || single.Railway.Generated() {
		t.Error("Generated is wrong")
	}
	if !pattern.Railway.Manages("pr-7") || pattern.Railway.Manages("prod") || list.Railway.Manages("pr-7") {
		t.Error("Manages is wrong")
	}
	unit := pattern.ForEnvironment("pr-12")
	if unit.Railway.Environment != "pr-12" || unit.Railway.Generated() || unit.Name != "test" ||
		unit.Hash == pattern.Hash || unit.Hash == pattern.ForEnvironment("pr-3").Hash {
		t.Errorf("ForEnvironment = %+v", unit.Railway)
	}
	if pattern.Railway.EnvironmentPattern != "pr-*" {
		t.Error("ForEnvironment changed the spec it copied")
	}
	if got := UnitName("smartlic", "pr-12"); got != "smartlic/pr-12" {
		t.Errorf("UnitName = %q", got)
	}
	// The same spec printed is valid again.
	var b strings.Builder
	if err := list.Print(&b); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("printed.yaml", []byte(b.String()), nil); err != nil {
		t.Errorf("printed generator spec: %v", err)
	}
}

// TestEnvironmentsOneErrorPerMistake: an unset variable in any of the three
// environment fields is one error, with no "exactly one" or "required" on top.
func TestEnvironmentsOneErrorPerMistake(t *testing.T) {
	for _, field := range []string{"environment: ${ENV}", "environments: ['${ENV}']", "environmentPattern: ${ENV}"} {
		lines := parseErr(t, strings.Replace(minimal, "environment: production", field, 1))
		if len(lines) != 1 || !strings.Contains(lines[0], "environment variable ENV is not set") {
			t.Errorf("%s: %q", field, lines)
		}
	}
	lines := parseErr(t, strings.Replace(minimal, "environment: production", "environments: []", 1))
	if len(lines) != 1 || lines[0] != "desired.yaml:3:1: railway.environment: required" {
		t.Errorf("empty list: %q", lines)
	}
}

func TestUsesPostgres(t *testing.T) {
	if (State{}).UsesPostgres() || (State{Backend: StateBackendFile}).UsesPostgres() || !(State{Backend: StateBackendPostgres}).UsesPostgres() {
		t.Error("UsesPostgres is wrong")
	}
}
