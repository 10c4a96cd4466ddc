package railwaytest

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"go.uber.org/zap"

	"github.com/smartlic/reconciler/railway"
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
	// Instance is the replica that sent the request: the
	// X-Reconciler-Instance header, else the "(instance ID)" comment of the
	// User-Agent; "" when neither.
	Instance string
	// Status is the HTTP status answered (0: the connection was dropped).
	Status int
	// Faulted is true when an injected fault (or the rate limit) answered.
	Faulted bool

	executed bool // the request reached the resolvers
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

// RequestsByInstance counts the requests served per sending instance
// (Request.Instance; "" for requests that named none).
func (s *Server) RequestsByInstance() map[string]int {
	return s.countByInstance(func(Request) bool { return true })
}

// MutationsByInstance counts the mutation requests served per sending
// instance, faulted ones included (an edge-blocked or outage-refused
// mutation was not executed: see MutationsExecutedByInstance).
func (s *Server) MutationsByInstance() map[string]int {
	return s.countByInstance(func(r Request) bool { return r.Mutation })
}

// MutationsExecutedByInstance counts, per sending instance, the mutation
// requests that were executed (answered normally, or executed and then
// failed by FaultAfterExecute*).
func (s *Server) MutationsExecutedByInstance() map[string]int {
	return s.countByInstance(func(r Request) bool { return r.Mutation && r.executed })
}

func (s *Server) countByInstance(keep func(Request) bool) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, r := range s.reqs.requests {
		if keep(r) {
			out[r.Instance]++
		}
	}
	return out
}

// instanceOf reads the sending instance of a request.
func instanceOf(r *http.Request) string {
	if v := strings.TrimSpace(r.Header.Get(railway.InstanceHeader)); v != "" {
		return v
	}
	ua := r.UserAgent()
	if _, rest, ok := strings.Cut(ua, "(instance "); ok {
		if id, _, ok := strings.Cut(rest, ")"); ok {
			return strings.TrimSpace(id)
		}
	}
	return ""
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
