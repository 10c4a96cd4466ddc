package railwaytest

import "strconv"

// Sandbox is the standard scene of the reconciler's tests and benchmarks:
// a project whose production environment holds one deployed consumer
// service and no Redis, and a workspace token scoped to it.
type Sandbox struct {
	ProjectID     string
	EnvironmentID string
	ConsumerID    string
	Token         string
}

// SeedSandbox creates a Sandbox: project "smartlic", the consumer service
// (deployed once, no variables) and a Bearer token for the project.
func (s *Server) SeedSandbox(token, consumer string) Sandbox {
	pid, eid := s.CreateProject("smartlic")
	cid := s.AddService(pid, consumer, "")
	s.Deploy(eid, cid)
	s.AddToken(token, BearerToken, pid, "")
	return Sandbox{ProjectID: pid, EnvironmentID: eid, ConsumerID: cid, Token: token}
}

// BindRedisTo makes every template deployment point its Redis variables
// (REDISHOST, REDISPORT, REDIS_PASSWORD, hence REDIS_URL) at a real Redis.
func (s *Server) BindRedisTo(host string, port int, password string) {
	s.OnTemplateDeploy(func(string) map[string]string {
		return map[string]string{"REDISHOST": host, "REDISPORT": strconv.Itoa(port), "REDIS_PASSWORD": password}
	})
}
