package railwaytest

import (
	"slices"
	"strings"
	"time"

	"github.com/smartlic/reconciler/railway"
)

// queryRoots maps the Query fields the simulator implements to resolvers.
func (s *Server) queryRoots() map[string]resolver {
	return map[string]resolver{
		"apiToken":                      s.qAPIToken,
		"projectToken":                  s.qProjectToken,
		"me":                            s.qMe,
		"project":                       s.qProject,
		"environment":                   s.qEnvironment,
		"service":                       s.qService,
		"serviceInstance":               s.qServiceInstance,
		"variables":                     s.qVariables,
		"variablesForServiceDeployment": s.qVariablesForDeployment,
		"template":                      s.qTemplate,
		"tcpProxies":                    s.qTCPProxies,
		"workflowStatus":                s.qWorkflowStatus,
		"deployment":                    s.qDeployment,
		"deployments":                   s.qDeployments,
		"deploymentLogs":                s.qDeploymentLogs,
	}
}

func (s *Server) qAPIToken(c *call, _ map[string]any) (any, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	if c.who.kind != BearerToken {
		return nil, errNotAuthorized
	}
	return map[string]any{typenameKey: "ApiTokenContext", "workspaces": []map[string]any{
		{typenameKey: "ApiTokenWorkspace", "id": WorkspaceID, "name": WorkspaceName},
	}}, nil
}

func (s *Server) qProjectToken(c *call, _ map[string]any) (any, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	if c.who.kind != ProjectToken {
		return nil, errProjectTokenNotFound
	}
	s.lock()
	defer s.unlock()
	p, e := s.m.projects[c.who.projectID], s.m.envs[c.who.envID]
	if p == nil || e == nil {
		return nil, errProjectTokenNotFound
	}
	return map[string]any{
		typenameKey: "ProjectToken", "id": "70000000-0000-4000-8000-" + e.id[24:], "name": "simulated",
		"displayToken": "****", "createdAt": dateTime(p.createdAt), "projectId": p.id, "environmentId": e.id,
		"project": s.projectObj(p), "environment": s.envObj(e),
	}, nil
}

// qMe answers account tokens only: Railway's docs say `me` fails for
// workspace and project tokens.
func (s *Server) qMe(c *call, _ map[string]any) (any, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	if c.who.kind != BearerToken || c.who.workspace {
		return nil, errNotAuthorized
	}
	return map[string]any{typenameKey: "User", "id": "a0000000-0000-4000-8000-000000000001",
		"name": "Simulated User", "email": "user@example.com", "username": "simulated"}, nil
}

func (s *Server) qProject(c *call, args map[string]any) (any, error) {
	id := argString(args, "id")
	if err := c.who.canProject(id); err != nil {
		return nil, err
	}
	s.lock()
	defer s.unlock()
	p := s.m.projects[id]
	if p == nil {
		return nil, errProjectNotFound
	}
	return s.projectObj(p), nil
}

func (s *Server) qEnvironment(c *call, args map[string]any) (any, error) {
	s.lock()
	defer s.unlock()
	e, err := s.findEnv(c, argString(args, "projectId"), argString(args, "id"))
	if err != nil {
		return nil, err
	}
	return s.envObj(e), nil
}

func (s *Server) qService(c *call, args map[string]any) (any, error) {
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
	return serviceObj(svc), nil
}

func (s *Server) qServiceInstance(c *call, args map[string]any) (any, error) {
	s.lock()
	defer s.unlock()
	svc, in, err := s.findInstance(c, argString(args, "environmentId"), argString(args, "serviceId"))
	if err != nil {
		return nil, err
	}
	return s.instanceObj(svc, in), nil
}

func (s *Server) qVariables(c *call, args map[string]any) (any, error) {
	s.lock()
	defer s.unlock()
	sc, err := s.varScope(c, args)
	if err != nil {
		return nil, err
	}
	if argBool(args, "unrendered") {
		return copyMap(s.m.raw(sc)), nil
	}
	return s.m.rendered(sc, false), nil
}

func (s *Server) qVariablesForDeployment(c *call, args map[string]any) (any, error) {
	s.lock()
	defer s.unlock()
	sc, err := s.varScope(c, args)
	if err != nil {
		return nil, err
	}
	return s.m.rendered(sc, true), nil
}

func (s *Server) qTemplate(_ *call, args map[string]any) (any, error) {
	if argString(args, "code") != "redis" && argString(args, "id") != RedisTemplateID {
		return nil, errTemplateNotFound
	}
	return templateObj()
}

func (s *Server) qWorkflowStatus(c *call, args map[string]any) (any, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	s.lock()
	defer s.unlock()
	status, msg := s.workflowStatus(argString(args, "workflowId"))
	return map[string]any{typenameKey: "WorkflowResult", "status": string(status), "error": nullable(msg)}, nil
}

func (s *Server) qDeployment(c *call, args map[string]any) (any, error) {
	s.lock()
	defer s.unlock()
	d, err := s.findDeployment(c, argString(args, "id"))
	if err != nil {
		return nil, err
	}
	return deploymentObj(d, s.statusOf(d)), nil
}

// qDeployments lists deployments newest first, filtered by the input's
// projectId, environmentId, serviceId and status {in, notIn}.
func (s *Server) qDeployments(c *call, args map[string]any) (any, error) {
	if err := c.who.authenticated(); err != nil {
		return nil, err
	}
	in := argObject(args, "input")
	pid, eid, sid := argString(in, "projectId"), argString(in, "environmentId"), argString(in, "serviceId")
	s.lock()
	defer s.unlock()
	if pid == "" && eid != "" && s.m.envs[eid] != nil {
		pid = s.m.envs[eid].projectID
	}
	if pid == "" && sid != "" && s.m.services[sid] != nil {
		pid = s.m.services[sid].projectID
	}
	if pid == "" {
		return nil, errProblemProcessing
	}
	if err := c.who.canProject(pid); err != nil {
		return nil, err
	}
	keep := statusFilter(argObject(in, "status"))
	var nodes []map[string]any
	for _, svc := range s.m.services {
		if svc.projectID != pid || (sid != "" && svc.id != sid) {
			continue
		}
		for envID, inst := range svc.instances {
			if (eid != "" && envID != eid) || c.who.canEnv(pid, envID) != nil {
				continue
			}
			for i, st := range s.statuses(inst) {
				if keep(st.status) {
					nodes = append(nodes, deploymentObj(inst.deploys[i], st))
				}
			}
		}
	}
	slices.SortFunc(nodes, func(a, b map[string]any) int { // newest first; ids grow with time
		return strings.Compare(b["id"].(string), a["id"].(string))
	})
	return connection("QueryDeploymentsConnection", nodes, s.opts.MaxPageSize)(args)
}

// statusFilter builds a predicate from a DeploymentStatusInput.
func statusFilter(in map[string]any) func(railway.DeploymentStatus) bool {
	has := func(list any, st railway.DeploymentStatus) bool {
		items, _ := list.([]any)
		for _, x := range items {
			if x == string(st) {
				return true
			}
		}
		return false
	}
	return func(st railway.DeploymentStatus) bool {
		if list, ok := in["in"]; ok && list != nil && !has(list, st) {
			return false
		}
		return !has(in["notIn"], st)
	}
}

// qDeploymentLogs returns a deployment's runtime logs, oldest first: those
// matching filter (quotes stripped; "@level:x" matches the severity, anything
// else is a case-insensitive substring), the last limit of them (limit+1 under
// Options.LogLimitQuirk).
func (s *Server) qDeploymentLogs(c *call, args map[string]any) (any, error) {
	s.lock()
	defer s.unlock()
	d, err := s.findDeployment(c, argString(args, "deploymentId"))
	if err != nil {
		return nil, err
	}
	if !balancedFilter(argString(args, "filter")) {
		return nil, errBadLogFilter
	}
	filter := strings.TrimSpace(strings.ReplaceAll(argString(args, "filter"), `"`, ""))
	level, byLevel := strings.CutPrefix(filter, "@level:")
	var out []map[string]any
	for _, l := range d.logs {
		switch {
		case byLevel && !strings.EqualFold(l.severity, level):
			continue
		case !byLevel && !strings.Contains(strings.ToLower(l.message), strings.ToLower(filter)):
			continue
		}
		out = append(out, logObj(d, l))
	}
	if limit, ok := argInt(args, "limit"); ok && limit >= 0 {
		if s.opts.LogLimitQuirk {
			limit++
		}
		out = out[max(0, len(out)-limit):]
	}
	if out == nil {
		out = []map[string]any{}
	}
	return out, nil
}

func logObj(d *deployment, l logLine) map[string]any {
	return map[string]any{
		typenameKey: "Log", "timestamp": l.at.UTC().Format(time.RFC3339Nano), "message": l.message,
		"severity": l.severity, "attributes": []map[string]any{},
		"tags": map[string]any{typenameKey: "LogTags", "deploymentId": d.id, "deploymentInstanceId": d.id + "-0",
			"environmentId": d.envID, "serviceId": d.serviceID, "projectId": d.projectID, "snapshotId": nil, "pluginId": nil},
	}
}

// balancedFilter reports whether a log filter's quotes and parentheses
// balance: the simulator's stand-in for Railway's filter parser, which
// rejects malformed filters (its exact grammar and message are unverified).
func balancedFilter(f string) bool {
	depth, quoted := 0, false
	for _, r := range f {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '(':
			depth++
		case r == ')':
			if depth--; depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && !quoted
}
