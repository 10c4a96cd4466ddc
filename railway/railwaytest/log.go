package railwaytest

import (
	"slices"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"go.uber.org/zap"
)

// Request is one request as the simulator saw it.
type Request struct {
	At            time.Time
	OperationName string
	// Fields are the root fields selected, in order, aliases resolved to
	// field names and repeats kept (two aliased "variables" give two entries).
	Fields   []string
	Mutation bool
	// Variables are the request's variables as sent (test-only: they may
	// hold secrets).
	Variables map[string]any
	UserAgent string
	// Status is the HTTP status answered.
	Status int
	// Faulted is true when an injected fault (or the rate limit) answered.
	Faulted bool
}

// reqLog is the request record, guarded by Server.mu.
type reqLog struct {
	requests    []Request
	forbidden   []string
	invalid     []string
	unsupported []string
}

// record appends a served request.
func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs.requests = append(s.reqs.requests, r)
}

// reportInvalid records a schema-invalid request or an unsupported field and
// tells Options.OnInvalid.
func (s *Server) reportInvalid(problem string, unsupported bool) {
	s.mu.Lock()
	if unsupported {
		s.reqs.unsupported = append(s.reqs.unsupported, problem)
	} else {
		s.reqs.invalid = append(s.reqs.invalid, problem)
	}
	s.mu.Unlock()
	if s.opts.OnInvalid != nil {
		s.opts.OnInvalid(problem)
	}
}

// recordForbidden records every forbidden root mutation of a valid request,
// whether or not it is then faulted, refused or executed.
func (s *Server) recordForbidden(p *prepared) {
	if p.op == nil || p.op.Operation != ast.Mutation || len(p.errs) > 0 {
		return
	}
	ex := &executor{schema: s.schema, doc: p.doc, vars: p.vars}
	for _, g := range ex.collect(p.op.SelectionSet, "Mutation") {
		args, err := ex.args(g.fields[0])
		if err != nil {
			continue
		}
		if rec, ok := forbiddenRecord(g.fields[0].Name, args); ok {
			s.mu.Lock()
			s.reqs.forbidden = append(s.reqs.forbidden, rec)
			s.mu.Unlock()
			s.log.Debug("forbidden operation received", zap.String("operation", rec))
		}
	}
}

// Requests returns every request served since the last ResetLog, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs.requests)
}

// RequestCount is the number of requests served (faulted ones included).
func (s *Server) RequestCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs.requests)
}

// MutationCount is the number of mutation requests served (faulted ones
// included).
func (s *Server) MutationCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs.requests {
		if r.Mutation {
			n++
		}
	}
	return n
}

// Forbidden lists every forbidden operation received: deletes,
// deploymentRollback, deploymentRemove and variableCollectionUpsert with
// replace: true, as "field" or "field(detail)".
func (s *Server) Forbidden() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs.forbidden)
}

// InvalidRequests lists every request rejected as schema-invalid (or
// unparseable), as "operation: errors".
func (s *Server) InvalidRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs.invalid)
}

// Unsupported lists every field the simulator was asked for but does not
// implement, as "Type.field".
func (s *Server) Unsupported() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs.unsupported)
}

// ResetLog clears the request log and the forbidden, invalid and unsupported
// records. The rate-limit window is kept.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = reqLog{}
}
