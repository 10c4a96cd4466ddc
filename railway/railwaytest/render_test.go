package railwaytest

import (
	"maps"
	"strings"
	"testing"
)

func TestVariableRendering(t *testing.T) {
	w := newWorld(t, Options{})
	redisID := w.s.AddService(w.projectID, "Redis", "ghcr.io/railwayapp-templates/redis:8")
	w.s.SetVariables(w.envID, "", map[string]string{"REGION": "eu", "LABEL": "${{ REGION }}-cache"})
	w.s.SetVariables(w.envID, redisID, map[string]string{
		"REDIS_PASSWORD": "pw",
		"REDISHOST":      "${{RAILWAY_PRIVATE_DOMAIN}}",
		"REDISPORT":      "6379",
		"REDISUSER":      "default",
		"REDISPASSWORD":  "${{REDIS_PASSWORD}}",
		"REDIS_URL":      "redis://${{REDISUSER}}:${{REDISPASSWORD}}@${{REDISHOST}}:${{REDISPORT}}",
	})
	raw := map[string]string{
		"REDIS_URL":  "${{Redis.REDIS_URL}}",
		"SPACED":     "https://${{ Redis.REDISHOST }}/x",
		"SHARED":     "${{shared.LABEL}}",
		"SELF":       "${{OWN}}!",
		"OWN":        "me",
		"NAME":       "${{RAILWAY_SERVICE_NAME}}@${{RAILWAY_PROJECT_ID}}/${{RAILWAY_ENVIRONMENT_ID}}",
		"DOMAIN":     "${{RAILWAY_PRIVATE_DOMAIN}}",
		"UNKNOWN":    "a${{Nope.X}}b${{MISSING}}c${{shared.NONE}}",
		"CYCLE":      "${{CYCLE}}x",
		"EMPTY":      "",
		"NOTREF":     "${HOME} and $${{literal",
		"REDIS_ENVY": "${{Redis.RAILWAY_PRIVATE_DOMAIN}}",
	}
	w.s.SetVariables(w.envID, w.backendID, raw)
	want := map[string]string{
		"REDIS_URL":  "redis://default:pw@redis.railway.internal:6379",
		"SPACED":     "https://redis.railway.internal/x",
		"SHARED":     "eu-cache",
		"SELF":       "me!",
		"OWN":        "me",
		"NAME":       "backend@" + w.projectID + "/" + w.envID,
		"DOMAIN":     "backend.railway.internal",
		"UNKNOWN":    "abc",
		"CYCLE":      strings.Repeat("x", maxRefDepth+1), // bounded, then ""
		"EMPTY":      "",
		"NOTREF":     "${HOME} and $${{literal",
		"REDIS_ENVY": "redis.railway.internal",
	}

	const q = `query V($p: String!, $e: String!, $s: String, $u: Boolean) {
	  variables(projectId: $p, environmentId: $e, serviceId: $s, unrendered: $u) }`
	vars := map[string]any{"p": w.projectID, "e": w.envID, "s": w.backendID}
	rendered := gql(t, w.s, bearer(adminToken), q, vars).ok(t)
	for k, v := range want {
		if got := rendered.str("variables", k); got != v {
			t.Errorf("rendered %s = %q, want %q", k, got, v)
		}
	}
	if len(rendered.get("variables").(map[string]any)) != len(want) {
		t.Errorf("rendered has extra keys: %v", rendered.get("variables"))
	}
	if got := w.s.RenderedVariables(w.envID, w.backendID); !maps.Equal(got, want) {
		t.Errorf("RenderedVariables = %v", got)
	}

	vars["u"] = true
	unrendered := gql(t, w.s, bearer(adminToken), q, vars).ok(t)
	for k, v := range raw {
		if got := unrendered.str("variables", k); got != v {
			t.Errorf("unrendered %s = %q, want %q", k, got, v)
		}
	}

	delete(vars, "s") // no serviceId: the shared variables
	shared := gql(t, w.s, bearer(adminToken), q, vars).ok(t)
	if got := shared.str("variables", "LABEL"); got != "${{ REGION }}-cache" {
		t.Errorf("shared LABEL = %q", got)
	}
}

func TestVariablesForServiceDeploymentIncludesRailwayVariables(t *testing.T) {
	w := newWorld(t, Options{})
	w.s.SetVariables(w.envID, w.backendID, map[string]string{"PORT": "8080", "SELF": "${{RAILWAY_SERVICE_ID}}"})
	r := gql(t, w.s, bearer(adminToken), `query($p: String!, $e: String!, $s: String!) {
	  variablesForServiceDeployment(projectId: $p, environmentId: $e, serviceId: $s) }`,
		map[string]any{"p": w.projectID, "e": w.envID, "s": w.backendID}).ok(t)
	want := map[string]string{
		"PORT": "8080", "SELF": w.backendID,
		"RAILWAY_PRIVATE_DOMAIN": "backend.railway.internal", "RAILWAY_SERVICE_NAME": "backend",
		"RAILWAY_SERVICE_ID": w.backendID, "RAILWAY_PROJECT_ID": w.projectID, "RAILWAY_PROJECT_NAME": "smartlic",
		"RAILWAY_ENVIRONMENT_ID": w.envID, "RAILWAY_ENVIRONMENT_NAME": "production",
	}
	for k, v := range want {
		if got := r.str("variablesForServiceDeployment", k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if got := w.s.Variables(w.envID, w.backendID); len(got) != 2 {
		t.Errorf("raw variables gained Railway's: %v", got)
	}
}

func TestPrivateDomain(t *testing.T) {
	for in, want := range map[string]string{"Redis": "redis.railway.internal", "My Cache": "my-cache.railway.internal"} {
		if got := PrivateDomain(in); got != want {
			t.Errorf("PrivateDomain(%q) = %q, want %q", in, got, want)
		}
	}
}
