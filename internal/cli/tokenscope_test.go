package cli

import (
	"strings"
	"testing"

	"github.com/smartlic/reconciler/railway/railwaytest"
)

const stagingToken = "ptok-cli-staging-5e6f7a8b9c0d1e2f"

// Issue 11, item 6: a project token is bound to one environment. Used
// against another, `plan` and `apply` fail with exit 1 and one clear line
// naming both environments (by name and id) and what to use instead, send
// nothing but the check, and never print the token.
func TestProjectTokenOfAnotherEnvironment(t *testing.T) {
	p := newProject(t, "")
	staging := p.sim.AddEnvironment(p.env["RAILWAY_PROJECT_ID"], "staging")
	p.sim.AddToken(stagingToken, railwaytest.ProjectToken, p.env["RAILWAY_PROJECT_ID"], staging)
	env := map[string]string{"RAILWAY_PROJECT_ID": p.env["RAILWAY_PROJECT_ID"], "RAILWAY_TOKEN": stagingToken}
	for _, cmd := range []string{"plan", "apply"} {
		got := run(t, env, cmd, "-f", p.spec)
		if got.code != ExitFailure {
			t.Fatalf("%s: exit %d, want 1\n%s%s", cmd, got.code, got.stdout, got.stderr)
		}
		for _, want := range []string{"RAILWAY_TOKEN", `environment "staging" (` + staging + `)`,
			`environment "production" (` + p.envID + `)`, "RAILWAY_API_TOKEN"} {
			if !strings.Contains(got.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, want, got.stderr)
			}
		}
		if strings.Contains(got.stdout+got.stderr, stagingToken) {
			t.Fatalf("%s printed the token", cmd)
		}
	}
	if n := p.sim.MutationCount(); n != 0 {
		t.Fatalf("%d mutations with a token of another environment", n)
	}
}

// Issue 11, item 2: a health.redis.url that interpolates to Railway's
// private-database shape (empty host and port) is a spec error, exit 3,
// that says what to do and never quotes the URL.
func TestEmptyHostRedisURLIsASpecError(t *testing.T) {
	env := map[string]string{"RAILWAY_PROJECT_ID": "p-1", "REDIS_PUBLIC_URL": "redis://default:s3cret-pw@:"}
	path := writeSpec(t, validSpec+"health:\n  redis:\n    url: ${REDIS_PUBLIC_URL}\n")
	got := run(t, env, "validate", "-f", path)
	if got.code != ExitInvalid || !strings.Contains(got.stderr, "health.redis.url: the Redis URL has an empty host and an empty port") ||
		!strings.Contains(got.stderr, "enable a TCP proxy") || strings.Contains(got.stderr, "s3cret-pw") {
		t.Fatalf("got %+v", got)
	}
}
