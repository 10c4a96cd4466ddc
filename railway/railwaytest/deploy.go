package railwaytest

import (
	"time"

	"github.com/smartlic/reconciler/railway"
)

// statusAt is a deployment's status and when it took it.
type statusAt struct {
	status railway.DeploymentStatus
	at     time.Time
}

// startDeploy creates a deployment of a service instance and returns the
// OnDeploy event for it. Called with Server.mu held.
func (s *Server) startDeploy(svc *service, in *instance) (*deployment, DeployEvent) {
	d := &deployment{
		id: s.m.newID(kindDeployment), projectID: svc.projectID, envID: in.envID, serviceID: svc.id,
		in: in, createdAt: s.now(), outcome: railway.StatusSuccess,
	}
	if q := s.m.failDeploy[svc.name]; len(q) > 0 {
		d.outcome, s.m.failDeploy[svc.name] = q[0], q[1:]
	}
	in.deploys = append(in.deploys, d)
	s.m.deployments[d.id] = d
	vars := s.m.rendered(scope{env: s.m.envs[in.envID], svc: svc}, true)
	vars["RAILWAY_DEPLOYMENT_ID"] = d.id
	return d, DeployEvent{
		ProjectID: svc.projectID, EnvironmentID: in.envID, ServiceID: svc.id, ServiceName: svc.name,
		DeploymentID: d.id, Variables: vars,
	}
}

// statuses computes the status of every deployment of an instance at the
// current time. A deployment is INITIALIZING for the first half of
// DeployDuration, DEPLOYING for the second, then ends as its outcome. A newer
// deployment created while it is in progress supersedes it (REMOVED at that
// moment); a SUCCESS one becomes REMOVED when a newer one reaches SUCCESS.
func (s *Server) statuses(in *instance) []statusAt {
	now, dur := s.now(), s.opts.DeployDuration
	deps := in.deploys
	out := make([]statusAt, len(deps))
	succeeded := make([]time.Time, len(deps)) // when each reached SUCCESS; zero if it has not
	for i := len(deps) - 1; i >= 0; i-- {
		d := deps[i]
		out[i], succeeded[i] = ownStatus(d, now, dur)
		if d.forced != "" {
			continue
		}
		if i+1 < len(deps) && d.createdAt.Add(dur).After(deps[i+1].createdAt) {
			out[i], succeeded[i] = statusAt{railway.StatusRemoved, deps[i+1].createdAt}, time.Time{}
			continue
		}
		if out[i].status != railway.StatusSuccess {
			continue
		}
		var removedAt time.Time
		for _, t := range succeeded[i+1:] {
			if !t.IsZero() && (removedAt.IsZero() || t.Before(removedAt)) {
				removedAt = t
			}
		}
		if !removedAt.IsZero() {
			out[i] = statusAt{railway.StatusRemoved, removedAt}
		}
	}
	return out
}

// ownStatus is a deployment's status by time alone, and when it succeeded.
func ownStatus(d *deployment, now time.Time, dur time.Duration) (statusAt, time.Time) {
	if d.forced != "" {
		var ok time.Time
		if d.forced == railway.StatusSuccess {
			ok = d.forcedAt
		}
		return statusAt{d.forced, d.forcedAt}, ok
	}
	half, end := d.createdAt.Add(dur/2), d.createdAt.Add(dur)
	switch {
	case now.Before(half):
		return statusAt{railway.StatusInitializing, d.createdAt}, time.Time{}
	case now.Before(end):
		return statusAt{railway.StatusDeploying, half}, time.Time{}
	case d.outcome == railway.StatusSuccess:
		return statusAt{railway.StatusSuccess, end}, end
	default:
		return statusAt{d.outcome, end}, time.Time{}
	}
}

// statusOf is one deployment's current status.
func (s *Server) statusOf(d *deployment) statusAt {
	all := s.statuses(d.in)
	for i, x := range d.in.deploys {
		if x == d {
			return all[i]
		}
	}
	return statusAt{railway.StatusRemoved, d.createdAt}
}

// toDeployment converts a deployment for the Go API.
func toDeployment(d *deployment, st statusAt) railway.Deployment {
	return railway.Deployment{ID: d.id, ServiceID: d.serviceID, Status: st.status, CreatedAt: d.createdAt, StatusUpdatedAt: st.at}
}

// deploymentObj is a Deployment object for the GraphQL projector.
func deploymentObj(d *deployment, st statusAt) map[string]any {
	stopped := st.status == railway.StatusRemoved || st.status.Bad()
	return map[string]any{
		typenameKey: "Deployment", "id": d.id, "status": string(st.status),
		"createdAt": dateTime(d.createdAt), "updatedAt": dateTime(st.at), "statusUpdatedAt": dateTime(st.at),
		"serviceId": d.serviceID, "environmentId": d.envID, "projectId": d.projectID,
		"canRedeploy": true, "canRollback": !st.status.InProgress(), "deploymentStopped": stopped,
		"url": nil, "staticUrl": nil, "snapshotId": nil, "meta": map[string]any{},
		"instances": []map[string]any{
			{typenameKey: "DeploymentDeploymentInstance", "id": d.id + "-0", "status": instanceStatus(st.status)},
		},
	}
}

// instanceStatus maps a deployment status to its instance's status.
func instanceStatus(s railway.DeploymentStatus) string {
	switch {
	case s == railway.StatusSuccess:
		return "RUNNING"
	case s == railway.StatusCrashed:
		return "CRASHED"
	case s == railway.StatusFailed:
		return "EXITED"
	case s == railway.StatusRemoved:
		return "REMOVED"
	default:
		return "INITIALIZING"
	}
}

// FailNextDeploy makes the next deployment of every service named
// serviceName end as status (FAILED or CRASHED) instead of SUCCESS. Calls
// queue.
func (s *Server) FailNextDeploy(serviceName string, status railway.DeploymentStatus) {
	s.lock()
	defer s.unlock()
	s.m.failDeploy[serviceName] = append(s.m.failDeploy[serviceName], status)
}

// SetDeploymentStatus pins a deployment's status from now on (e.g. CRASHED
// for a running one). It reports false for an unknown deployment.
func (s *Server) SetDeploymentStatus(deploymentID string, status railway.DeploymentStatus) bool {
	s.lock()
	defer s.unlock()
	d := s.m.deployments[deploymentID]
	if d == nil {
		return false
	}
	d.forced, d.forcedAt = status, s.now()
	return true
}

// AppendLog adds a runtime log line (severity "info", timestamped by
// Options.Now) to a deployment. Unknown deployments are ignored.
func (s *Server) AppendLog(deploymentID, message string) {
	s.lock()
	defer s.unlock()
	if d := s.m.deployments[deploymentID]; d != nil {
		d.logs = append(d.logs, logLine{at: s.now(), message: message, severity: "info"})
	}
}

// LatestDeployment returns the newest deployment of a service instance.
func (s *Server) LatestDeployment(envID, serviceID string) (railway.Deployment, bool) {
	s.lock()
	defer s.unlock()
	_, in, err := s.m.instanceOf(envID, serviceID)
	if err != nil || len(in.deploys) == 0 {
		return railway.Deployment{}, false
	}
	all := s.statuses(in)
	last := len(in.deploys) - 1
	return toDeployment(in.deploys[last], all[last]), true
}

// Deployments returns every deployment of a service instance, oldest first.
func (s *Server) Deployments(envID, serviceID string) []railway.Deployment {
	s.lock()
	defer s.unlock()
	_, in, err := s.m.instanceOf(envID, serviceID)
	if err != nil {
		return nil
	}
	all := s.statuses(in)
	out := make([]railway.Deployment, len(in.deploys))
	for i, d := range in.deploys {
		out[i] = toDeployment(d, all[i])
	}
	return out
}
