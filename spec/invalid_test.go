package spec

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestInvalidFiles loads each testdata/invalid-<rule>.yaml and asserts its
// exact error lines, position included. Every such file must have a case.
func TestInvalidFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"alias-bomb", []string{`:11:1: lol: unknown field "lol"`}},
		{"alias-fanout", []string{`:16:30: the document is too large: more than 10000 YAML nodes (aliases expanded)`}},
		{"auth-token-literal", []string{`:14:12: server.auth.token: a secret written in the file (the value is not shown): write it as an interpolation such as ${RECONCILER_STATUS_TOKEN} and set it in the environment; never commit it`}},
		{"binary", []string{`:2:7: control character U+0000 is not allowed (is it a binary file?)`}},
		{"consumer-duplicate", []string{`:12:14: consumers[1].service: duplicate consumer "backend" (also consumers[0])`}},
		{"consumer-is-addon", []string{`:12:14: consumers[1].service: "Redis" is the addon itself: a consumer is a service that uses Redis`}},
		{"consumer-no-variables", []string{`:12:5: consumers[1].variables: at least one variable is required`}},
		{"consumers-missing", []string{`:1:1: consumers: at least one consumer is required`}},
		{"create-grace", []string{`:8:16: addon.createGrace: must be at least 1m, got 30s`}},
		{"credential-variable", []string{`:12:23: consumers[0].variables.REDIS_PASSWORD: REDIS_PASSWORD looks like a credential written in the file: take its value from a Railway reference ${{...}} or an interpolation ${NAME}`}},
		{"cron", []string{`:13:11: schedule.report: invalid cron expression "0 25 * * *": hour out of range`}},
		{"cron-fields", []string{
			`:13:14: schedule.reconcile: invalid cron expression "*/5 * * *": expected 5 fields (minute hour day-of-month month day-of-week), found 4`,
			`:14:10: schedule.probe: invalid cron expression "@fortnightly": unknown descriptor "@fortnightly": use @yearly, @monthly, @weekly, @daily, @hourly or @every DURATION`,
			`:15:11: schedule.report: invalid cron expression "0 9 * JANUARY *": invalid month "JANUARY"`,
		}},
		{"cron-never", []string{`:13:11: schedule.report: cron expression "0 0 30 2 *" never fires`}},
		{"duplicate-key", []string{`:14:3: rollback.failureThreshold: duplicate key "failureThreshold" (first at line 13)`}},
		{"duration", []string{
			`:13:17: health.probeTimeout: expected a duration such as 5s or 2m, got "5"`,
			`:15:17: health.redis.maxLatency: must be a positive duration, got -1ms`,
		}},
		{"empty", []string{`: the file holds no YAML document: a spec starts with "version: 1"`}},
		{"endpoint", []string{
			`:15:12: health.endpoints[0].url: must be an http or https URL, got "backend.example.com/health"`,
			`:16:15: health.endpoints[0].status: must be an HTTP status between 100 and 599, got 700`,
			`:17:7: health.endpoints[1].url: required`,
			`:17:13: health.endpoints[1].name: duplicate endpoint name "backend"`,
			`:18:7: health.endpoints[2].name: required`,
		}},
		{"environment-exclusive", []string{`:6:23: railway.environmentPattern: set only one of railway.environment, railway.environments and railway.environmentPattern (railway.environment is set too)`}},
		{"environment-pattern", []string{`:5:23: railway.environmentPattern: invalid pattern "pr-[a": use * (any run of characters), ? (one character), [a-z] or [^a-z] (a class), \ to escape`}},
		{"environments", []string{
			`:5:30: railway.environments[1]: required`,
			`:5:34: railway.environments[2]: duplicate environment "production" (also railway.environments[0])`,
		}},
		{"env-unset", []string{`:4:14: railway.projectId: environment variable MISSING_PROJECT_ID is not set`}},
		{"every", []string{`:13:10: schedule.probe: invalid cron expression "@every 500ms": @every interval must be at least 1s, got 500ms`}},
		{"expect", []string{
			`:17:11: health.endpoints[0].expect[0]: needs exactly one of equals, lessThan, greaterThan or exists, got 2`,
			`:20:11: health.endpoints[0].expect[1]: needs exactly one of equals, lessThan, greaterThan or exists, got 0`,
			`:21:11: health.endpoints[0].expect[2].field: required`,
		}},
		{"interpolation", []string{
			`:5:16: railway.environment: unterminated "${": write $${ for a literal ${`,
			`:13:9: state.path: invalid interpolation "${1BAD}": use ${NAME} or ${NAME:-default}`,
		}},
		{"listen", []string{`:13:11: server.listen: must be host:port or :port, got "8080"`}},
		{"logs", []string{
			`:14:16: health.logs[0].service: "frontend" is not a consumer (consumers: backend)`,
			`:16:15: health.logs[0].within: must be a positive duration, got 0s`,
			`:17:7: health.logs[1].contains: required`,
			`:17:7: health.logs[1].service: required`,
		}},
		{"merge-key", []string{`:7:3: addon: merge keys (<<) are not supported: write the fields out`}},
		{"multi-document", []string{`:12:1: only one YAML document is allowed`}},
		{"name", []string{`:2:7: name: must be 1 to 63 characters among a-z, 0-9 and -, got "Smartlic_Production"`}},
		{"name-missing", []string{`:1:1: name: required`}},
		{"not-a-mapping", []string{`:12:9: health: expected a mapping, got a list`}},
		{"postgres-lease", []string{
			`:16:20: state.postgres.leaseDuration: must be longer than state.postgres.renewDeadline (10s), got 10s`,
			`:18:18: state.postgres.retryPeriod: must be a positive duration, got 0s`,
		}},
		{"postgres-password", []string{`:15:10: state.postgres.url: the URL's password is written in the file (the value is not shown): write the whole URL as an interpolation such as ${DATABASE_URL}`}},
		{"postgres-unused", []string{`:14:10: state.postgres.url: set, but state.backend is file: set state.backend: postgres to use it, or remove it`}},
		{"postgres-url", []string{`:15:10: state.postgres.url: must be a postgres:// or postgresql:// URL (the value is secret and not shown)`}},
		{"postgres-url-missing", []string{`:12:1: state.postgres.url: required with state.backend: postgres: the database's URL, e.g. ${DATABASE_URL} set to ${{Postgres.DATABASE_URL}}`}},
		{"probe-timeout", []string{`:13:17: health.probeTimeout: must be less than the probe interval (5s, from schedule.probe), got 5s`}},
		{"probe-timeout-cron", []string{`:13:17: health.probeTimeout: must be less than the probe interval (1m, from schedule.probe), got 2m`}},
		{"probe-timeout-default", []string{`:13:10: health.probeTimeout: must be less than the probe interval (1s, from schedule.probe), got 1s`}},
		{"railway-required", []string{
			`:3:1: railway.environment: required`,
			`:3:1: railway.projectId: required`,
			`:4:13: railway.endpoint: must be an http or https URL, got "ftp://backboard.railway.com/graphql/v2"`,
			`:5:23: railway.maxRequestsPerHour: must be at least 1, got 0`,
		}},
		{"redis-url", []string{`:14:10: health.redis.url: must be a redis:// or rediss:// URL (the value is secret and not shown)`}},
		{"redis-url-empty-host", []string{`:14:10: health.redis.url: the Redis URL has an empty host and an empty port, which go-redis would read as localhost:6379; ` +
			`Railway renders a Redis URL this way (redis://default:***@:) when the Redis service has no TCP proxy: enable a TCP proxy on the Redis service (Settings, Networking) ` +
			`and use its public URL, or run the reconciler inside the project (the value is secret and not shown)`}},
		{"report-format", []string{`:13:11: report.format: must be markdown or json, got "html"`}},
		{"rollback-variable", []string{`:14:16: rollback.variables.CACHE_URL: CACHE_URL is not a variable of any consumer`}},
		{"rollback-variables-empty", []string{`:13:14: rollback.variables: empty: name the variables to roll back, or leave it out to set every consumer variable to ""`}},
		{"root-list", []string{`:1:1: a spec is a mapping of fields (version, name, railway, ...), got a list`}},
		{"sinks", []string{
			`:14:7: report.sinks[0]: unknown sink "stderr": use stdout, file: DIR or webhook: URL`,
			`:15:13: report.sinks[1].file: required`,
			`:16:16: report.sinks[2].webhook: must be an http or https URL (the value is secret and not shown)`,
			`:17:7: report.sinks[3]: a sink is exactly one of stdout, file: DIR or webhook: URL`,
		}},
		{"size", []string{`:14:16: health.redis.maxMemory: unknown size unit "parsecs": use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB`}},
		{"state-backend", []string{`:13:12: state.backend: must be file or postgres, got "sqlite"`}},
		{"syntax", []string{`:12:1: invalid YAML: did not find expected ',' or ']'`}},
		{"tabs", []string{`:5:1: invalid YAML: found a tab character that violates indentation (indent with spaces)`}},
		{"thresholds", []string{
			`:13:21: rollback.failureThreshold: must be at least 1, got 0`,
			`:14:22: rollback.recoveryThreshold: must be at least 1, got -1`,
			`:15:17: rollback.maxRollbacks: must be at least 1, got 0`,
			`:16:18: rollback.minRolledBack: must not be negative, got -5m`,
			`:17:19: rollback.rollbackWindow: must be a positive duration, got 0s`,
		}},
		{"token-key", []string{`:6:3: railway.apiToken: credentials do not belong in the spec: they come only from the environment variables RAILWAY_API_TOKEN or RAILWAY_TOKEN`}},
		{"token-literal", []string{`:4:14: railway.projectId: looks like a token (a 36-character literal): write IDs as interpolations such as ${RAILWAY_PROJECT_ID}; credentials come only from RAILWAY_API_TOKEN or RAILWAY_TOKEN`}},
		{"unknown-field", []string{
			`:13:3: health.probetimeout: unknown field "probetimeout" (did you mean "probeTimeout"?)`,
			`:14:3: health.retries: unknown field "retries"`,
		}},
		{"variable-name", []string{`:12:7: consumers[0].variables.1REDIS-URL: invalid variable name "1REDIS-URL": use letters, digits and _, not starting with a digit`}},
		{"version", []string{`:1:10: version: unsupported version 2: only version 1 exists`}},
		{"version-missing", []string{`:1:1: version: required: write "version: 1"`}},
		{"wrong-type", []string{
			`:13:21: rollback.failureThreshold: expected an integer, got "three"`,
			`:14:12: rollback.enabled: expected true or false, got "yes"`,
			`:15:1: addon2: unknown field "addon2" (did you mean "addon"?)`,
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "invalid-"+tt.file+".yaml")
			seen[path] = true
			_, err := Load(path, lookup(testEnv))
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load error = %v, want *Errors", err)
			}
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = path + w
			}
			if got := strings.Split(errs.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	for _, f := range files {
		if !seen[f] {
			t.Errorf("%s has no case in TestInvalidFiles", f)
		}
	}
}
