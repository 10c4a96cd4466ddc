package railwaytest

import (
	"slices"
	"testing"
)

// TestSeedSandboxAndBindRedis: the sandbox is one deployed consumer without
// variables and a token scoped to its project; after BindRedisTo, the Redis a
// template deploys has a TCP proxy to the given host and port: its
// REDIS_PUBLIC_URL reaches it with the given password, its REDIS_URL stays
// private.
func TestSeedSandboxAndBindRedis(t *testing.T) {
	c := newClock()
	s := NewT(t, Options{Now: c.Now})
	sb := s.SeedSandbox("sandbox-token", "backend")
	if got := s.Services(sb.ProjectID); !slices.Equal(got, []string{"backend"}) {
		t.Fatalf("services = %q", got)
	}
	if id, ok := s.ServiceByName(sb.ProjectID, "backend"); !ok || id != sb.ConsumerID {
		t.Errorf("consumer id %q, want %q", sb.ConsumerID, id)
	}
	if d := s.Deployments(sb.EnvironmentID, sb.ConsumerID); len(d) != 1 {
		t.Errorf("consumer deployments = %+v, want one", d)
	}
	if v := s.Variables(sb.EnvironmentID, sb.ConsumerID); len(v) != 0 {
		t.Errorf("consumer variables = %v, want none", v)
	}
	const projectQ = `query($id: String!) { project(id: $id) { id } }`
	gql(t, s, bearer(sb.Token), projectQ, map[string]any{"id": sb.ProjectID}).ok(t)
	other, _ := s.CreateProject("other")
	if r := gql(t, s, bearer(sb.Token), projectQ, map[string]any{"id": other}); r.errMessage() != "Not Authorized" {
		t.Errorf("token reaches another project: %s", r.Body)
	}

	s.BindRedisTo("10.0.0.7", 6380, "bound-pw")
	s.AddToken(adminToken, BearerToken, "", "") // deployTemplate's
	w := &world{s: s, clock: c, projectID: sb.ProjectID, envID: sb.EnvironmentID, backendID: sb.ConsumerID}
	createAddon(t, w, "Redis")
	redisID, _ := s.ServiceByName(sb.ProjectID, "Redis")
	vars := s.RenderedVariables(sb.EnvironmentID, redisID)
	if got, want := vars["REDIS_PUBLIC_URL"], "redis://default:bound-pw@10.0.0.7:6380"; got != want {
		t.Errorf("REDIS_PUBLIC_URL = %q, want %q", got, want)
	}
	if got, want := vars["REDIS_URL"], "redis://default:bound-pw@redis.railway.internal:6379"; got != want {
		t.Errorf("REDIS_URL = %q, want %q", got, want)
	}
}
