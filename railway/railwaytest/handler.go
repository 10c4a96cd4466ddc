package railwaytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"go.uber.org/zap"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// gqlRequest is a GraphQL-over-HTTP request body.
type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// gqlResponse is a GraphQL response body.
type gqlResponse struct {
	Data   any           `json:"data"`
	Errors gqlerror.List `json:"errors,omitempty"`
}

// prepared is a request parsed, validated and ready to execute.
type prepared struct {
	doc  *ast.QueryDocument
	op   *ast.OperationDefinition
	vars map[string]any
	errs gqlerror.List // parse or validation errors: not executed
	code string        // extensions.code for errs
}

// call is the context of one executing request.
type call struct {
	who    caller
	events []DeployEvent // OnDeploy events to fire once the lock is released
}

// resolver resolves one root field for a caller.
type resolver func(c *call, args map[string]any) (any, error)

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.delay(r.Context())
	var req gqlRequest
	p := &prepared{}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&req); err != nil {
		p.errs, p.code = gqlerror.List{gqlerror.Errorf("invalid request body: %v", err)}, "BAD_REQUEST"
	} else {
		p = s.prepare(req)
	}
	rec := s.describe(r, req, p)
	s.recordForbidden(p)
	adm := s.admit(rec.Mutation, rec.Fields)
	adm.setHeaders(w)
	switch {
	case !adm.fault.executes():
		rec.Faulted, rec.Status = true, writeFault(w, adm)
	case len(p.errs) > 0:
		rec.Status = writeJSON(w, http.StatusBadRequest, map[string]any{"errors": withCode(p.errs, p.code)})
	default:
		resp := s.execute(r, p)
		rec.executed = true
		if adm.fault == FaultAfterExecuteDrop {
			// Recorded before the client can notice the drop (other
			// answers reach it only once this handler returns).
			rec.Faulted = true
			s.record(rec)
			dropConnection(w)
			return
		}
		if adm.fault != FaultNone {
			rec.Faulted, rec.Status = true, writeFault(w, adm)
		} else {
			rec.Status = writeJSON(w, http.StatusOK, resp)
		}
	}
	s.record(rec)
	s.log.Debug("request served", zap.String("operation", rec.OperationName),
		zap.Strings("fields", rec.Fields), zap.Int("status", rec.Status), zap.Bool("faulted", rec.Faulted))
}

// describe starts the request's log record and reports it when invalid.
func (s *Server) describe(r *http.Request, req gqlRequest, p *prepared) Request {
	rec := Request{At: s.now(), OperationName: req.OperationName, Variables: req.Variables, UserAgent: r.UserAgent(),
		Instance: instanceOf(r)}
	if p.op != nil {
		rec.Fields, rec.Mutation = rootFields(p.doc, p.op), p.op.Operation == ast.Mutation
		if rec.OperationName == "" {
			rec.OperationName = p.op.Name
		}
	}
	if len(p.errs) > 0 {
		label := rec.OperationName
		if label == "" {
			label = fmt.Sprint(rec.Fields)
		}
		s.reportInvalid(label+": "+strings.TrimSpace(p.errs.Error()), false)
	}
	return rec
}

// prepare parses the document, picks the operation and, with a schema,
// validates both the document and the variable values.
func (s *Server) prepare(req gqlRequest) *prepared {
	p := &prepared{vars: req.Variables, code: "GRAPHQL_VALIDATION_FAILED"}
	if s.schema != nil {
		doc, errs := gqlparser.LoadQueryWithRules(s.schema, req.Query, nil)
		if len(errs) > 0 {
			p.errs = errs
			p.doc, _ = parser.ParseQuery(&ast.Source{Input: req.Query}) // for the log, if it parses
			p.op = pickOperation(p.doc, req.OperationName)
			return p
		}
		p.doc = doc
	} else {
		doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
		if err != nil {
			p.errs, p.code = gqlerror.List{gqlerror.Wrap(err)}, "GRAPHQL_PARSE_FAILED"
			return p
		}
		p.doc = doc
	}
	if p.op = pickOperation(p.doc, req.OperationName); p.op == nil {
		p.errs = gqlerror.List{gqlerror.Errorf("unknown operation %q", req.OperationName)}
		return p
	}
	if s.schema != nil {
		vars, err := validator.VariableValues(s.schema, p.op, req.Variables)
		if err != nil {
			var gerr *gqlerror.Error
			if !errors.As(err, &gerr) {
				gerr = gqlerror.Wrap(err)
			}
			p.errs, p.code = gqlerror.List{gerr}, "BAD_USER_INPUT"
			return p
		}
		p.vars = vars
	}
	return p
}

// pickOperation returns the named operation, or the only one.
func pickOperation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	if doc == nil {
		return nil
	}
	return doc.Operations.ForName(name)
}

// execute runs a prepared operation, then fires the OnDeploy events it made.
func (s *Server) execute(r *http.Request, p *prepared) gqlResponse {
	s.lock()
	c := &call{who: s.m.identify(r)}
	s.unlock()
	roots := s.queryRoots()
	switch p.op.Operation {
	case ast.Mutation:
		roots = s.mutationRoots()
	case ast.Subscription:
		roots = nil
	}
	ex := &executor{schema: s.schema, doc: p.doc, vars: p.vars}
	data, errs := ex.execute(p.op, func(name string, args map[string]any) (any, error) {
		fn, ok := roots[name]
		if !ok {
			return nil, errUnsupported
		}
		return fn(c, args)
	})
	for _, f := range ex.unsupported {
		s.reportInvalid("unsupported field "+f, true)
	}
	s.fire(c.events)
	if data == nil {
		return gqlResponse{Errors: errs}
	}
	return gqlResponse{Data: data, Errors: errs}
}

// withCode sets extensions.code on request-level errors.
func withCode(errs gqlerror.List, code string) gqlerror.List {
	for _, e := range errs {
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		e.Extensions["code"] = code
	}
	return errs
}

// writeJSON writes v as the JSON body and returns the status.
func writeJSON(w http.ResponseWriter, status int, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		b, status = []byte(`{"errors":[{"message":"simulator: encoding response failed"}]}`), http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client went away; nothing to do
	return status
}
