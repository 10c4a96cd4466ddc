package railway

import "time"

// DeploymentStatus is Railway's DeploymentStatus enum.
type DeploymentStatus string

// Deployment statuses (schema enum DeploymentStatus).
const (
	StatusBuilding      DeploymentStatus = "BUILDING"
	StatusCrashed       DeploymentStatus = "CRASHED"
	StatusDeploying     DeploymentStatus = "DEPLOYING"
	StatusFailed        DeploymentStatus = "FAILED"
	StatusInitializing  DeploymentStatus = "INITIALIZING"
	StatusNeedsApproval DeploymentStatus = "NEEDS_APPROVAL"
	StatusQueued        DeploymentStatus = "QUEUED"
	StatusRemoved       DeploymentStatus = "REMOVED"
	StatusRemoving      DeploymentStatus = "REMOVING"
	StatusSkipped       DeploymentStatus = "SKIPPED"
	StatusSleeping      DeploymentStatus = "SLEEPING"
	StatusSuccess       DeploymentStatus = "SUCCESS"
	StatusWaiting       DeploymentStatus = "WAITING"
)

// InProgress reports whether a deployment in this status has not finished yet.
func (s DeploymentStatus) InProgress() bool {
	switch s {
	case StatusInitializing, StatusQueued, StatusWaiting, StatusNeedsApproval, StatusBuilding, StatusDeploying:
		return true
	}
	return false
}

// Good reports whether the deployment is up (SUCCESS, or SLEEPING).
func (s DeploymentStatus) Good() bool { return s == StatusSuccess || s == StatusSleeping }

// Bad reports whether the deployment ended in failure (FAILED, CRASHED).
func (s DeploymentStatus) Bad() bool { return s == StatusFailed || s == StatusCrashed }

// Project is a project with its environments and services.
type Project struct {
	ID           string
	Name         string
	Environments []Environment
	Services     []Service
}

// Environment is one environment of a project.
type Environment struct {
	ID   string
	Name string
}

// Service is one service of a project.
type Service struct {
	ID   string
	Name string
}

// Deployment is one deployment of a service instance.
type Deployment struct {
	ID              string
	ServiceID       string
	Status          DeploymentStatus
	CreatedAt       time.Time
	StatusUpdatedAt time.Time // zero when Railway did not say
}

// ServiceInstance is a service as deployed in one environment.
type ServiceInstance struct {
	ServiceID   string
	ServiceName string
	// Image is source.image ("" for repo-built services).
	Image string
	// LatestDeployment is nil when the service was never deployed.
	LatestDeployment *Deployment
}

// Observation is the result of one batched read of an environment: every
// service instance, plus the raw (unrendered) variables of the services asked
// for. Variables holds only services whose variables were requested; a
// variable Railway returned as null is absent from the map.
type Observation struct {
	EnvironmentID string
	Instances     []ServiceInstance
	// Variables maps service id to its unrendered variables.
	Variables map[string]map[string]string
}

// Instance returns the instance of the named service, if present.
func (o *Observation) Instance(name string) (ServiceInstance, bool) {
	for _, in := range o.Instances {
		if in.ServiceName == name {
			return in, true
		}
	}
	return ServiceInstance{}, false
}

// InstanceByID returns the instance of the service with this id, if present.
func (o *Observation) InstanceByID(id string) (ServiceInstance, bool) {
	for _, in := range o.Instances {
		if in.ServiceID == id {
			return in, true
		}
	}
	return ServiceInstance{}, false
}

// Template is a Railway template as returned by template(code).
type Template struct {
	ID   string
	Code string
	// SerializedConfig is the template's raw serializedConfig JSON.
	SerializedConfig []byte
}

// WorkflowStatus is Railway's WorkflowStatus enum.
type WorkflowStatus string

// Workflow statuses.
const (
	WorkflowComplete WorkflowStatus = "Complete"
	WorkflowError    WorkflowStatus = "Error"
	WorkflowNotFound WorkflowStatus = "NotFound"
	WorkflowRunning  WorkflowStatus = "Running"
)

// WorkflowResult is the state of a template deployment workflow.
type WorkflowResult struct {
	Status WorkflowStatus
	Error  string
}

// Log is one runtime log line of a deployment.
type Log struct {
	Timestamp time.Time
	Message   string
	Severity  string
}

// Environment returns the project's environment whose id or name is
// idOrName (ids first).
func (p *Project) Environment(idOrName string) (Environment, bool) {
	for _, e := range p.Environments {
		if e.ID == idOrName {
			return e, true
		}
	}
	for _, e := range p.Environments {
		if e.Name == idOrName {
			return e, true
		}
	}
	return Environment{}, false
}
