package railwaytest

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

// redisBinding is where BindRedisTo points template-created Redis services.
type redisBinding struct {
	host     string
	port     int
	password string
}

// BindRedisTo makes every Redis service a template deployment creates
// reachable from here, the way a real project makes its Redis public: its
// REDIS_PASSWORD is password and it gets a TCP proxy at host:port, so its
// REDIS_PUBLIC_URL renders to redis://default:PASSWORD@host:port. Its
// REDIS_URL stays on the private network
// (redis://default:PASSWORD@<name>.railway.internal:6379), as on Railway.
// Without a binding (or a TCP proxy, AddTCPProxy) a template's Redis is
// private only: REDIS_PUBLIC_URL renders as redis://default:PASSWORD@:
// (empty host and port).
func (s *Server) BindRedisTo(host string, port int, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.binding = &redisBinding{host: host, port: port, password: password}
}
