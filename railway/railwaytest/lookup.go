package railwaytest

// The lookups below run with Server.mu held. They check, in order, that the
// caller is authenticated, that the object exists, and that the caller's
// token reaches it.

// findEnv finds an environment; projectID, when given, must be its project.
func (s *Server) findEnv(c *call, projectID, envID string) (*environment, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	e := s.m.envs[envID]
	if e == nil || (projectID != "" && e.projectID != projectID) {
		if projectID != "" {
			if err := c.who.canProject(projectID); err != nil {
				return nil, err
			}
		}
		return nil, errEnvironmentNotFound
	}
	if err := c.who.canEnv(e.projectID, e.id); err != nil {
		return nil, err
	}
	return e, nil
}

// findProjectEnv finds a project and one of its environments (the first,
// production, when envID is "").
func (s *Server) findProjectEnv(c *call, projectID, envID string) (*project, *environment, error) {
	if err := c.who.canProject(projectID); err != nil {
		return nil, nil, err
	}
	p := s.m.projects[projectID]
	if p == nil {
		return nil, nil, errProjectNotFound
	}
	if envID == "" {
		envID = p.envIDs[0]
	}
	e, err := s.findEnv(c, projectID, envID)
	return p, e, err
}

// findDeployment finds a deployment.
func (s *Server) findDeployment(c *call, id string) (*deployment, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	d := s.m.deployments[id]
	if d == nil {
		return nil, errDeploymentNotFound
	}
	if err := c.who.canEnv(d.projectID, d.envID); err != nil {
		return nil, err
	}
	return d, nil
}

// findInstance finds the instance of serviceID in envID.
func (s *Server) findInstance(c *call, envID, serviceID string) (*service, *instance, error) {
	e, err := s.findEnv(c, "", envID)
	if err != nil {
		return nil, nil, err
	}
	return s.m.instanceOf(e.id, serviceID)
}

// varScope resolves projectId, environmentId and serviceId (arguments or
// input fields) to a variable scope; no serviceId means shared variables.
func (s *Server) varScope(c *call, args map[string]any) (scope, error) {
	e, err := s.findEnv(c, argString(args, "projectId"), argString(args, "environmentId"))
	if err != nil {
		return scope{}, err
	}
	sid := argString(args, "serviceId")
	if sid == "" {
		return scope{env: e}, nil
	}
	svc := s.m.services[sid]
	if svc == nil || svc.projectID != e.projectID {
		return scope{}, errServiceNotFound
	}
	return scope{env: e, svc: svc}, nil
}
