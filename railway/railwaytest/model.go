package railwaytest

import (
	"fmt"
	"time"

	"github.com/smartlic/reconciler/railway"
)

// model is the simulated Railway state. Every method expects Server.mu held.
type model struct {
	seq         int
	projects    map[string]*project
	envs        map[string]*environment
	services    map[string]*service
	deployments map[string]*deployment
	workflows   map[string]*workflow
	tokens      map[string]token
	// failDeploy queues injected outcomes per service name (FailNextDeploy).
	failDeploy map[string][]railway.DeploymentStatus
	// failWorkflow queues injected workflow errors (FailNextWorkflow).
	failWorkflow []string
	// running are the workflows whose services are not created yet, in
	// creation order.
	running []*workflow
}

type project struct {
	id, name  string
	createdAt time.Time
	envIDs    []string // creation order
	svcIDs    []string // creation order
}

type environment struct {
	id, name, projectID string
	createdAt           time.Time
	shared              map[string]string // shared variables, raw
}

type service struct {
	id, name, projectID string
	icon                string
	templateID          string
	templateServiceID   string
	createdAt           time.Time
	instances           map[string]*instance // by environment id
}

// instance is a service in one environment: its source, raw variables,
// deployments (creation order) and TCP proxy (nil: private only).
type instance struct {
	id, envID, serviceID string
	image, repo          string
	startCommand         string
	createdAt            time.Time
	vars                 map[string]string
	deploys              []*deployment
	proxy                *tcpProxy
}

// tcpProxy is a service instance's public TCP proxy.
type tcpProxy struct {
	id               string
	domain           string
	port, targetPort int
}

type deployment struct {
	id                          string
	projectID, envID, serviceID string
	in                          *instance
	createdAt                   time.Time
	outcome                     railway.DeploymentStatus // what it ends as: SUCCESS, FAILED or CRASHED
	forced                      railway.DeploymentStatus // set by SetDeploymentStatus / deploymentRemove
	forcedAt                    time.Time
	logs                        []logLine
}

type logLine struct {
	at       time.Time
	message  string
	severity string
}

// workflow is a template deployment. Its services are created (pending)
// when the workflow completes; err non-empty: it ends in Error, creating
// nothing.
type workflow struct {
	id                           string
	createdAt                    time.Time
	err                          string
	projectID, envID, templateID string
	pending                      []templateService
}

func newModel() *model {
	return &model{
		projects:    map[string]*project{},
		envs:        map[string]*environment{},
		services:    map[string]*service{},
		deployments: map[string]*deployment{},
		workflows:   map[string]*workflow{},
		tokens:      map[string]token{},
		failDeploy:  map[string][]railway.DeploymentStatus{},
	}
}

// ID kinds: the first UUID group, so ids say what they name when debugging.
const (
	kindProject    = "9a000000"
	kindEnv        = "e0000000"
	kindService    = "5e000000"
	kindInstance   = "1a000000"
	kindDeployment = "de000000"
	kindWorkflow   = "f1000000"
	kindProxy      = "7c000000"
)

// newID returns a fresh UUID-shaped id.
func (m *model) newID(kind string) string {
	m.seq++
	return fmt.Sprintf("%s-0000-4000-8000-%012d", kind, m.seq)
}

func (m *model) createProject(name string, now time.Time) (*project, *environment) {
	p := &project{id: m.newID(kindProject), name: name, createdAt: now}
	m.projects[p.id] = p
	return p, m.addEnv(p, "production", now)
}

// addEnv adds an environment with an instance of every existing service.
func (m *model) addEnv(p *project, name string, now time.Time) *environment {
	e := &environment{id: m.newID(kindEnv), name: name, projectID: p.id, createdAt: now, shared: map[string]string{}}
	m.envs[e.id] = e
	p.envIDs = append(p.envIDs, e.id)
	for _, sid := range p.svcIDs {
		svc := m.services[sid]
		m.addInstance(svc, e.id, svc.anyImage(), now)
	}
	return e
}

// addService creates a service; its instances are added by the caller.
func (m *model) addService(p *project, name string, now time.Time) (*service, error) {
	if err := m.nameFree(p.id, name); err != nil {
		return nil, err
	}
	s := &service{id: m.newID(kindService), name: name, projectID: p.id, createdAt: now, instances: map[string]*instance{}}
	m.services[s.id] = s
	p.svcIDs = append(p.svcIDs, s.id)
	return s, nil
}

func (m *model) addInstance(s *service, envID, image string, now time.Time) *instance {
	in := &instance{id: m.newID(kindInstance), envID: envID, serviceID: s.id, image: image, createdAt: now, vars: map[string]string{}}
	s.instances[envID] = in
	return in
}

// anyImage is the image of one of the service's instances ("" if none).
func (s *service) anyImage() string {
	for _, in := range s.instances {
		if in.image != "" {
			return in.image
		}
	}
	return ""
}

// freeName returns name, or name-2, name-3, ... when name is taken in the
// project (how the simulator names a second service a template creates).
func (m *model) freeName(projectID, name string) string {
	candidate := name
	for n := 2; ; n++ {
		if _, taken := m.serviceByName(projectID, candidate); !taken {
			return candidate
		}
		candidate = fmt.Sprintf("%s-%d", name, n)
	}
}

// nameFree fails, as Railway does, when the project has a service named name.
func (m *model) nameFree(projectID, name string) error {
	if _, taken := m.serviceByName(projectID, name); taken {
		return apiError(fmt.Sprintf("A service named %q already exists in this project", name))
	}
	return nil
}

func (m *model) serviceByName(projectID, name string) (*service, bool) {
	p := m.projects[projectID]
	if p == nil {
		return nil, false
	}
	for _, id := range p.svcIDs {
		if s := m.services[id]; s.name == name {
			return s, true
		}
	}
	return nil, false
}

// removeService deletes a service and its deployments.
func (m *model) removeService(s *service) {
	p := m.projects[s.projectID]
	for i, id := range p.svcIDs {
		if id == s.id {
			p.svcIDs = append(p.svcIDs[:i:i], p.svcIDs[i+1:]...)
			break
		}
	}
	for _, in := range s.instances {
		for _, d := range in.deploys {
			delete(m.deployments, d.id)
		}
	}
	delete(m.services, s.id)
}

// instanceOf returns the service and its instance in an environment.
func (m *model) instanceOf(envID, serviceID string) (*service, *instance, error) {
	svc := m.services[serviceID]
	if svc == nil {
		return nil, nil, errServiceNotFound
	}
	in := svc.instances[envID]
	if in == nil {
		return nil, nil, errInstanceNotFound
	}
	return svc, in, nil
}

// copyMap returns a copy of a string map (never nil).
func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
