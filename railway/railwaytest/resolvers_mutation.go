package railwaytest

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/smartlic/reconciler/railway"
)

// mutationRoots maps the Mutation fields the simulator implements to
// resolvers. The forbidden ones are recorded by the handler (forbiddenRecord)
// before anything else happens to the request.
func (s *Server) mutationRoots() map[string]resolver {
	return map[string]resolver{
		"templateDeployV2":         s.mTemplateDeploy,
		"variableUpsert":           s.mVariableUpsert,
		"variableCollectionUpsert": s.mVariableCollectionUpsert,
		"serviceInstanceDeployV2":  s.mDeployV2,
		"serviceInstanceRedeploy":  s.mRedeploy,
		"serviceCreate":            s.mServiceCreate,
		"variableDelete":           s.mVariableDelete,
		"serviceDelete":            s.mServiceDelete,
		"deploymentRemove":         s.mDeploymentRemove,
		"deploymentRollback":       s.noEffect,
		"volumeDelete":             s.noEffect,
		"projectDelete":            s.noEffect,
		"environmentDelete":        s.noEffect,
	}
}

// forbiddenRecord describes a root mutation the reconciler must never send
// (deletes, deploymentRollback, deploymentRemove, replace: true), as
// "field(detail)"; ok is false for an allowed one.
func forbiddenRecord(field string, args map[string]any) (rec string, ok bool) {
	switch field {
	case "variableDelete":
		return fmt.Sprintf("%s(%s)", field, argString(argObject(args, "input"), "name")), true
	case "serviceDelete", "deploymentRemove", "deploymentRollback", "projectDelete", "environmentDelete":
		return fmt.Sprintf("%s(%s)", field, argString(args, "id")), true
	case "volumeDelete":
		return fmt.Sprintf("%s(%s)", field, argString(args, "volumeId")), true
	case "variableCollectionUpsert":
		if argBool(argObject(args, "input"), "replace") {
			return "variableCollectionUpsert(replace: true)", true
		}
	}
	return "", false
}

// noEffect answers a forbidden mutation as Railway would on success, without
// changing the model (simplified).
func (s *Server) noEffect(c *call, _ map[string]any) (any, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	return true, nil
}

func (s *Server) mVariableUpsert(c *call, args map[string]any) (any, error) {
	in := argObject(args, "input")
	return s.writeVars(c, in, map[string]string{argString(in, "name"): argString(in, "value")}, false)
}

func (s *Server) mVariableCollectionUpsert(c *call, args map[string]any) (any, error) {
	in := argObject(args, "input")
	vars, err := stringMap(in["variables"])
	if err != nil {
		return nil, err
	}
	return s.writeVars(c, in, vars, argBool(in, "replace"))
}

func (s *Server) mVariableDelete(c *call, args map[string]any) (any, error) {
	in := argObject(args, "input")
	return s.writeVars(c, in, nil, false, argString(in, "name"))
}

// writeVars applies a variable change to the scope named by input (replace
// clears it first; names listed in del are deleted) and, unless
// input.skipDeploys, deploys the affected services when something changed:
// the service itself, or for shared variables every service referencing a
// changed one.
func (s *Server) writeVars(c *call, input map[string]any, vars map[string]string, replace bool, del ...string) (any, error) {
	s.lock()
	defer s.unlock()
	sc, err := s.varScope(c, input)
	if err != nil {
		return nil, err
	}
	target := s.m.raw(sc)
	if target == nil {
		return nil, errInstanceNotFound
	}
	before := copyMap(target)
	if replace {
		clear(target)
	}
	maps.Copy(target, vars)
	for _, name := range del {
		delete(target, name)
	}
	if maps.Equal(before, target) || argBool(input, "skipDeploys") {
		return true, nil
	}
	for _, svc := range s.affected(sc, changedKeys(before, target)) {
		_, ev := s.startDeploy(svc, svc.instances[sc.env.id])
		c.events = append(c.events, ev)
	}
	return true, nil
}

// affected lists the services a variable change in sc deploys.
func (s *Server) affected(sc scope, changed []string) []*service {
	if sc.svc != nil {
		return []*service{sc.svc}
	}
	var out []*service
	for _, id := range s.m.projects[sc.env.projectID].svcIDs {
		svc := s.m.services[id]
		if in := svc.instances[sc.env.id]; in != nil && referencesShared(in.vars, changed) {
			out = append(out, svc)
		}
	}
	return out
}

// referencesShared reports whether any value references ${{shared.NAME}}
// for one of names.
func referencesShared(vars map[string]string, names []string) bool {
	for _, v := range vars {
		for _, m := range refPattern.FindAllStringSubmatch(v, -1) {
			ns, name, ok := strings.Cut(m[1], ".")
			if ok && strings.TrimSpace(ns) == "shared" {
				for _, n := range names {
					if strings.TrimSpace(name) == n {
						return true
					}
				}
			}
		}
	}
	return false
}

// changedKeys lists keys whose value differs between a and b.
func changedKeys(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// mDeployV2 deploys a service instance and returns the deployment id.
func (s *Server) mDeployV2(c *call, args map[string]any) (any, error) {
	d, err := s.deployInstance(c, args)
	if err != nil {
		return nil, err
	}
	return d.id, nil
}

func (s *Server) mRedeploy(c *call, args map[string]any) (any, error) {
	if _, err := s.deployInstance(c, args); err != nil {
		return nil, err
	}
	return true, nil
}

func (s *Server) deployInstance(c *call, args map[string]any) (*deployment, error) {
	s.lock()
	defer s.unlock()
	svc, in, err := s.findInstance(c, argString(args, "environmentId"), argString(args, "serviceId"))
	if err != nil {
		return nil, err
	}
	d, ev := s.startDeploy(svc, in)
	c.events = append(c.events, ev)
	return d, nil
}

// mServiceCreate creates a service in every environment of its project
// (no environment is a fork here), without deploying it (simplified).
func (s *Server) mServiceCreate(c *call, args map[string]any) (any, error) {
	in := argObject(args, "input")
	vars, err := stringMap(in["variables"])
	if err != nil {
		return nil, err
	}
	s.lock()
	defer s.unlock()
	p, _, err := s.findProjectEnv(c, argString(in, "projectId"), argString(in, "environmentId"))
	if err != nil {
		return nil, err
	}
	name := argString(in, "name")
	if name == "" {
		name = fmt.Sprintf("service-%d", len(p.svcIDs)+1)
	}
	svc, err := s.m.addService(p, name, s.now())
	if err != nil {
		return nil, err
	}
	svc.icon = argString(in, "icon")
	src := argObject(in, "source")
	for _, envID := range p.envIDs {
		inst := s.m.addInstance(svc, envID, argString(src, "image"), s.now())
		inst.repo = argString(src, "repo")
		maps.Copy(inst.vars, vars)
	}
	return serviceObj(svc), nil
}

func (s *Server) mServiceDelete(c *call, args map[string]any) (any, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	s.lock()
	defer s.unlock()
	svc := s.m.services[argString(args, "id")]
	if svc == nil {
		return nil, errServiceNotFound
	}
	if err := c.who.canProject(svc.projectID); err != nil {
		return nil, err
	}
	s.m.removeService(svc)
	return true, nil
}

func (s *Server) mDeploymentRemove(c *call, args map[string]any) (any, error) {
	s.lock()
	defer s.unlock()
	d, err := s.findDeployment(c, argString(args, "id"))
	if err != nil {
		return nil, err
	}
	d.forced, d.forcedAt = railway.StatusRemoved, s.now()
	return true, nil
}

// mTemplateDeploy starts a workflow that creates the services of a
// serializedConfig in one environment when it completes
// (Options.WorkflowDuration later), with their variables (value, else
// defaultValue; generators expanded; then the OnTemplateDeploy hook's
// overrides), deployed. Until then the services are not listed anywhere, as
// on Railway. A service name already taken by a listed service fails the
// mutation; one taken by a service still pending is not detected (the
// second service gets a suffixed name). A project token is refused ("Not
// Authorized") unless Options.ProjectTokensCanCreate. FailNextWorkflow
// makes the workflow end in Error without creating anything.
func (s *Server) mTemplateDeploy(c *call, args map[string]any) (any, error) {
	in := argObject(args, "input")
	projectID, envID := argString(in, "projectId"), argString(in, "environmentId")
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	if c.who.kind == ProjectToken && !s.opts.ProjectTokensCanCreate {
		return nil, errNotAuthorized
	}
	if projectID == "" {
		return nil, errors.New("simulator: templateDeployV2 into a new project (no projectId) is not supported")
	}
	specs, err := parseTemplate(in["serializedConfig"])
	if err != nil {
		return nil, err
	}
	if err := s.checkTemplate(c, projectID, envID, specs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	hook := s.onTmpl
	s.mu.Unlock()
	if hook != nil {
		for _, ts := range specs {
			maps.Copy(ts.vars, hook(ts.name))
		}
	}
	s.lock()
	defer s.unlock()
	if err := s.checkTemplateLocked(c, projectID, envID, specs); err != nil {
		return nil, err
	}
	p, e, _ := s.findProjectEnv(c, projectID, envID)
	w := s.startWorkflow(p.id, e.id, argString(in, "templateId"), specs)
	return map[string]any{typenameKey: "TemplateDeployPayload", "projectId": p.id, "workflowId": w.id}, nil
}

// checkTemplate fails when the template cannot be deployed: no access, or a
// service name already taken.
func (s *Server) checkTemplate(c *call, projectID, envID string, specs []templateService) error {
	s.lock()
	defer s.unlock()
	return s.checkTemplateLocked(c, projectID, envID, specs)
}

func (s *Server) checkTemplateLocked(c *call, projectID, envID string, specs []templateService) error {
	if _, _, err := s.findProjectEnv(c, projectID, envID); err != nil {
		return err
	}
	for _, ts := range specs {
		if err := s.m.nameFree(projectID, ts.name); err != nil {
			return err
		}
	}
	return nil
}
