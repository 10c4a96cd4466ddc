package railwaytest

import "github.com/smartlic/reconciler/railway"

// The simulated workspace every Bearer token belongs to.
const (
	WorkspaceID   = "3c000000-0000-4000-8000-000000000001"
	WorkspaceName = "Simulated Workspace"
)

// The builders below turn model records into plain values for the projector.
// They run with Server.mu held and build everything eagerly, so the lazy
// connections they return never touch the model after the lock is released.

func workspaceObj() map[string]any {
	return map[string]any{typenameKey: "Workspace", "id": WorkspaceID, "name": WorkspaceName}
}

func (s *Server) projectObj(p *project) map[string]any {
	envs := make([]map[string]any, 0, len(p.envIDs))
	for _, id := range p.envIDs {
		envs = append(envs, s.envObj(s.m.envs[id]))
	}
	svcs := make([]map[string]any, 0, len(p.svcIDs))
	for _, id := range p.svcIDs {
		svcs = append(svcs, serviceObj(s.m.services[id]))
	}
	return map[string]any{
		typenameKey: "Project", "id": p.id, "name": p.name, "description": nil,
		"createdAt": dateTime(p.createdAt), "updatedAt": dateTime(p.createdAt), "deletedAt": nil, "expiredAt": nil,
		"isPublic": false, "isTempProject": false, "prDeploys": false, "botPrEnvironments": false,
		"workspaceId": WorkspaceID, "workspace": workspaceObj(), "teamId": WorkspaceID,
		"primaryEnvironmentId": p.envIDs[0], "baseEnvironmentId": nil, "baseEnvironment": nil,
		"environments": connection("ProjectEnvironmentsConnection", envs, s.opts.MaxPageSize),
		"services":     connection("ProjectServicesConnection", svcs, s.opts.MaxPageSize),
	}
}

func (s *Server) envObj(e *environment) map[string]any {
	p := s.m.projects[e.projectID]
	var insts []map[string]any
	for _, id := range p.svcIDs {
		svc := s.m.services[id]
		if in := svc.instances[e.id]; in != nil {
			insts = append(insts, s.instanceObj(svc, in))
		}
	}
	return map[string]any{
		typenameKey: "Environment", "id": e.id, "name": e.name, "projectId": e.projectID,
		"createdAt": dateTime(e.createdAt), "updatedAt": dateTime(e.createdAt), "deletedAt": nil,
		"isEphemeral": false, "canAccess": true, "unmergedChangesCount": 0, "sourceEnvironment": nil,
		"serviceInstances": connection("EnvironmentServiceInstancesConnection", insts, s.opts.MaxPageSize),
	}
}

func serviceObj(svc *service) map[string]any {
	return map[string]any{
		typenameKey: "Service", "id": svc.id, "name": svc.name, "projectId": svc.projectID,
		"icon": nullable(svc.icon), "templateId": nullable(svc.templateID),
		"templateServiceId": nullable(svc.templateServiceID), "templateThreadSlug": nil, "groupId": nil,
		"createdAt": dateTime(svc.createdAt), "updatedAt": dateTime(svc.createdAt), "deletedAt": nil,
		"isRestricted": false, "hasHiddenRegistryCredentialsFromTemplate": false,
	}
}

func (s *Server) instanceObj(svc *service, in *instance) map[string]any {
	var latest any
	active := []map[string]any{}
	all := s.statuses(in)
	for i, d := range in.deploys {
		if all[i].status == railway.StatusSuccess {
			active = append(active, deploymentObj(d, all[i]))
		}
	}
	if n := len(in.deploys); n > 0 {
		latest = deploymentObj(in.deploys[n-1], all[n-1])
	}
	var source any
	if in.image != "" || in.repo != "" {
		source = map[string]any{typenameKey: "ServiceSource", "image": nullable(in.image), "repo": nullable(in.repo)}
	}
	return map[string]any{
		typenameKey: "ServiceInstance", "id": in.id, "serviceId": svc.id, "serviceName": svc.name,
		"environmentId": in.envID, "source": source, "latestDeployment": latest, "activeDeployments": active,
		"startCommand": nullable(in.startCommand), "healthcheckPath": nil, "healthcheckTimeout": nil,
		"numReplicas": 1, "region": "us-west2", "restartPolicyType": "ON_FAILURE", "restartPolicyMaxRetries": 10,
		"sleepApplication": false, "cronSchedule": nil, "rootDirectory": nil, "railwayConfigFile": nil,
		"createdAt": dateTime(in.createdAt), "updatedAt": dateTime(in.createdAt), "deletedAt": nil,
		"service": serviceObj(svc),
	}
}

// nullable maps "" to null.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
