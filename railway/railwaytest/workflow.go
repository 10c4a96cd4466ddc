package railwaytest

import (
	"maps"
	"time"

	"github.com/smartlic/reconciler/railway"
)

// DefaultWorkflowDuration is how long a template deployment workflow runs by
// default: Railway's take 10-60 s, sometimes more.
const DefaultWorkflowDuration = 12 * time.Second

// defaultNotFoundFor is how long workflowStatus answers NotFound after the
// deploy by default (read-after-write lag), capped at a quarter of the
// workflow's duration.
const defaultNotFoundFor = 2 * time.Second

// lock takes the model lock and brings the model up to the present: the
// services of every workflow that has completed are created. Every access
// to the model goes through it, so that a service appears exactly when its
// workflow completes, whichever request or inspection comes first.
func (s *Server) lock() {
	s.mu.Lock()
	s.settle()
}

// unlock releases the model lock, then fires the OnDeploy events that
// settling queued.
func (s *Server) unlock() {
	events := s.queued
	s.queued = nil
	s.mu.Unlock()
	s.fire(events)
}

// settle creates the services of the workflows that have completed. Called
// with s.mu held.
func (s *Server) settle() {
	if len(s.m.running) == 0 {
		return
	}
	now, still := s.now(), s.m.running[:0]
	for _, w := range s.m.running {
		if now.Before(s.workflowEnd(w)) {
			still = append(still, w)
			continue
		}
		s.materialize(w)
	}
	clear(s.m.running[len(still):])
	s.m.running = still
}

func (s *Server) workflowEnd(w *workflow) time.Time { return w.createdAt.Add(s.opts.WorkflowDuration) }

// materialize creates a completed workflow's services in its environment
// and deploys them. The deployment is dated from the workflow's start (it
// ran inside the workflow); a name taken meanwhile gets a suffix ("Redis-2"),
// so a duplicate creation is visible rather than refused. Called with s.mu
// held.
func (s *Server) materialize(w *workflow) {
	p, e := s.m.projects[w.projectID], s.m.envs[w.envID]
	if p == nil || e == nil {
		return
	}
	end := s.workflowEnd(w)
	for _, ts := range w.pending {
		svc, err := s.m.addService(p, s.m.freeName(p.id, ts.name), end)
		if err != nil {
			continue // freeName made it free
		}
		svc.icon, svc.templateID, svc.templateServiceID = ts.icon, w.templateID, ts.key
		inst := s.m.addInstance(svc, e.id, ts.image, end)
		inst.repo, inst.startCommand, inst.vars = ts.repo, ts.startCommand, ts.vars
		if b := s.binding; b != nil && railway.IsRedisImage(ts.image) {
			inst.vars["REDIS_PASSWORD"] = b.password
			inst.proxy = &tcpProxy{id: s.m.newID(kindProxy), domain: b.host, port: b.port, targetPort: 6379}
		}
		d, ev := s.startDeploy(svc, inst)
		d.createdAt = w.createdAt
		s.queued = append(s.queued, ev)
	}
	w.pending = nil
}

// workflowStatus is a workflow's status now: NotFound for the lag after
// the deploy (and for unknown ids), Running until it ends, then Error or
// Complete. Called with s.mu held.
func (s *Server) workflowStatus(id string) (railway.WorkflowStatus, string) {
	w := s.m.workflows[id]
	now := s.now()
	switch {
	case w == nil || now.Before(w.createdAt.Add(s.notFoundFor())):
		return railway.WorkflowNotFound, ""
	case now.Before(s.workflowEnd(w)):
		return railway.WorkflowRunning, ""
	case w.err != "":
		return railway.WorkflowError, w.err
	}
	return railway.WorkflowComplete, ""
}

// notFoundFor is the configured NotFound lag.
func (s *Server) notFoundFor() time.Duration {
	switch d := s.opts.WorkflowNotFoundFor; {
	case d < 0:
		return 0
	case d > 0:
		return min(d, s.opts.WorkflowDuration)
	}
	return min(defaultNotFoundFor, s.opts.WorkflowDuration/4)
}

// startWorkflow records a template deployment whose services appear when
// it completes (or, after FailNextWorkflow, that ends in Error). Called
// with s.mu held.
func (s *Server) startWorkflow(projectID, envID, templateID string, specs []templateService) *workflow {
	w := &workflow{id: s.m.newID(kindWorkflow), createdAt: s.now(), projectID: projectID, envID: envID, templateID: templateID}
	s.m.workflows[w.id] = w
	if len(s.m.failWorkflow) > 0 {
		w.err, s.m.failWorkflow = s.m.failWorkflow[0], s.m.failWorkflow[1:]
		return w
	}
	for _, ts := range specs {
		ts.vars = maps.Clone(ts.vars)
		w.pending = append(w.pending, ts)
	}
	s.m.running = append(s.m.running, w)
	return w
}

// PendingServices returns the names of the services that running template
// deployments will create in the project when they complete.
func (s *Server) PendingServices(projectID string) []string {
	s.lock()
	defer s.unlock()
	var names []string
	for _, w := range s.m.running {
		if w.projectID != projectID {
			continue
		}
		for _, ts := range w.pending {
			names = append(names, ts.name)
		}
	}
	return names
}
