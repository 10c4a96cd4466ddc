package railwaytest

import (
	"fmt"
	"maps"
	"slices"
)

// The methods below seed and inspect the model directly, for tests and the
// demo. Seeding methods panic on misuse (an unknown project, a taken
// service name): that is a bug in the test or demo that calls them.

// CreateProject creates a project with its "production" environment.
func (s *Server) CreateProject(name string) (projectID, environmentID string) {
	s.lock()
	defer s.unlock()
	p, e := s.m.createProject(name, s.now())
	return p.id, e.id
}

// AddEnvironment adds an environment (with an instance of every existing
// service) to a project and returns its id.
func (s *Server) AddEnvironment(projectID, name string) string {
	s.lock()
	defer s.unlock()
	return s.m.addEnv(s.mustProject(projectID), name, s.now()).id
}

// AddService creates a service with an instance, sourced from image, in
// every environment of the project, without deploying it, and returns its id.
func (s *Server) AddService(projectID, name, image string) string {
	s.lock()
	defer s.unlock()
	p := s.mustProject(projectID)
	svc, err := s.m.addService(p, name, s.now())
	if err != nil {
		panic(fmt.Sprintf("railwaytest: AddService: %v", err))
	}
	for _, envID := range p.envIDs {
		s.m.addInstance(svc, envID, image, s.now())
	}
	return svc.id
}

// Deploy starts a deployment of a service instance as if a user had, calls
// the OnDeploy hook, and returns the deployment id.
func (s *Server) Deploy(envID, serviceID string) string {
	s.lock()
	svc, in, err := s.m.instanceOf(envID, serviceID)
	if err != nil {
		s.unlock()
		panic(fmt.Sprintf("railwaytest: Deploy: %v", err))
	}
	d, ev := s.startDeploy(svc, in)
	s.unlock()
	s.fire([]DeployEvent{ev})
	return d.id
}

// SetVariables merges raw variables into a service instance (serviceID ""
// sets the environment's shared variables). It never deploys.
func (s *Server) SetVariables(envID, serviceID string, vars map[string]string) {
	s.lock()
	defer s.unlock()
	target := s.m.raw(s.mustScope(envID, serviceID))
	if target == nil {
		panic(fmt.Sprintf("railwaytest: SetVariables: service %s has no instance in %s", serviceID, envID))
	}
	maps.Copy(target, vars)
}

// Variables returns a copy of the raw variables of a service instance
// (serviceID "": the shared variables).
func (s *Server) Variables(envID, serviceID string) map[string]string {
	s.lock()
	defer s.unlock()
	return copyMap(s.m.raw(s.mustScope(envID, serviceID)))
}

// RenderedVariables returns the variables of a service instance with every
// reference resolved, as `variables` answers by default (no RAILWAY_* ones).
func (s *Server) RenderedVariables(envID, serviceID string) map[string]string {
	s.lock()
	defer s.unlock()
	return s.m.rendered(s.mustScope(envID, serviceID), false)
}

// ServiceByName returns the id of the project's service with this name.
func (s *Server) ServiceByName(projectID, name string) (string, bool) {
	s.lock()
	defer s.unlock()
	svc, ok := s.m.serviceByName(projectID, name)
	if !ok {
		return "", false
	}
	return svc.id, true
}

// Services returns the names of the project's services in creation order.
func (s *Server) Services(projectID string) []string {
	s.lock()
	defer s.unlock()
	p := s.m.projects[projectID]
	if p == nil {
		return nil
	}
	names := make([]string, 0, len(p.svcIDs))
	for _, id := range p.svcIDs {
		names = append(names, s.m.services[id].name)
	}
	return names
}

// FailNextWorkflow makes the next templateDeployV2 workflow end in Error
// with msg, creating nothing. Calls queue.
func (s *Server) FailNextWorkflow(msg string) {
	s.lock()
	defer s.unlock()
	s.m.failWorkflow = append(s.m.failWorkflow, msg)
}

func (s *Server) mustProject(id string) *project {
	p := s.m.projects[id]
	if p == nil {
		panic(fmt.Sprintf("railwaytest: unknown project %q", id))
	}
	return p
}

func (s *Server) mustScope(envID, serviceID string) scope {
	e := s.m.envs[envID]
	if e == nil {
		panic(fmt.Sprintf("railwaytest: unknown environment %q", envID))
	}
	if serviceID == "" {
		return scope{env: e}
	}
	svc := s.m.services[serviceID]
	if svc == nil {
		panic(fmt.Sprintf("railwaytest: unknown service %q", serviceID))
	}
	return scope{env: e, svc: svc}
}

// RemoveEnvironment takes an environment out of its project (as deleting
// it in Railway would), for tests of what a reconciler does when one
// disappears. Its services and variables stay in the model, unreachable.
func (s *Server) RemoveEnvironment(projectID, envID string) {
	s.lock()
	defer s.unlock()
	p := s.mustProject(projectID)
	p.envIDs = slices.DeleteFunc(p.envIDs, func(id string) bool { return id == envID })
}
