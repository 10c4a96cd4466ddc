package railwaytest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"go.uber.org/zap"
)

// Path is where the simulator serves GraphQL, as Railway does.
const Path = "/graphql/v2"

// Options configures a Server. The zero value is usable.
type Options struct {
	// Logger receives one debug line per request (never variable values).
	// Default: a no-op logger.
	Logger *zap.Logger
	// Now is the simulator's clock: deployment and workflow progress, log
	// timestamps and the rate-limit window all derive from it. Default time.Now.
	Now func() time.Time
	// SchemaPath names Railway's SDL schema. Default: FindSchema's answer;
	// when none is found the server runs without validation.
	SchemaPath string
	// DeployDuration is how long a deployment takes to end (DEPLOYING after
	// half of it). Default 2s.
	DeployDuration time.Duration
	// WorkflowDuration is how long a template deployment workflow runs
	// before it completes; its services are listed only from then on.
	// Default DefaultWorkflowDuration (12s, as Railway's take 10-60 s).
	// Test suites and the demo shorten it; keep it non-zero.
	WorkflowDuration time.Duration
	// WorkflowNotFoundFor is how long workflowStatus answers NotFound
	// after templateDeployV2 (Railway's read-after-write lag). Default
	// min(2s, WorkflowDuration/4); negative: no lag.
	WorkflowNotFoundFor time.Duration
	// ProjectTokensCanCreate lets project tokens deploy templates. By
	// default templateDeployV2 answers "Not Authorized" to a project token:
	// Railway documents project tokens for deployment actions only.
	ProjectTokensCanCreate bool
	// RateLimit is the number of requests per hour before 429s; it is
	// reported in X-RateLimit-* headers. Default 1000 (Hobby).
	RateLimit int
	// LogLimitQuirk makes deploymentLogs return limit+1 lines, as Railway's
	// API does according to the CLI.
	LogLimitQuirk bool
	// MaxPageSize caps every connection's page (0: no cap), to exercise
	// pagination.
	MaxPageSize int
	// Addr is the listen address (default "127.0.0.1:0", a random port).
	Addr string
	// ExpectForbidden lets a test send forbidden operations on purpose;
	// otherwise NewT fails the test at cleanup when any was received, so
	// that the record stays empty across every suite that uses it.
	ExpectForbidden bool
	// OnInvalid is called (outside the lock) for every schema-invalid request
	// and every unsupported field, with a description. NewT fails the test
	// from it.
	OnInvalid func(problem string)
}

// Server is a running simulator. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	log    *zap.Logger
	schema *ast.Schema
	srv    *httptest.Server

	mu       sync.Mutex
	m        *model
	reqs     reqLog
	faults   faultState
	onTmpl   func(serviceName string) map[string]string
	onDeploy func(DeployEvent)
	binding  *redisBinding
	queued   []DeployEvent // OnDeploy events settle made, fired by unlock
}

// DeployEvent describes a deployment just created, with the variables the
// deployed app would see (rendered, including RAILWAY_* ones).
type DeployEvent struct {
	ProjectID     string
	EnvironmentID string
	ServiceID     string
	ServiceName   string
	DeploymentID  string
	Variables     map[string]string
}

// New starts a simulator. It fails only when an explicitly named schema
// (Options.SchemaPath or $RAILWAY_SCHEMA) cannot be loaded, or the listen
// address cannot be bound.
func New(opts Options) (*Server, error) {
	opts = withDefaults(opts)
	schema, err := resolveSchema(opts.SchemaPath)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger.Named("railwaytest"), schema: schema, m: newModel()}
	s.faults.init(Faults{})
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("starting railway simulator: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(Path, s.serveGraphQL)
	s.srv = httptest.NewUnstartedServer(mux)
	_ = s.srv.Listener.Close() // replaced by ours, bound to opts.Addr
	s.srv.Listener = ln
	s.srv.Start()
	return s, nil
}

func withDefaults(o Options) Options {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DeployDuration <= 0 {
		o.DeployDuration = 2 * time.Second
	}
	if o.WorkflowDuration <= 0 {
		o.WorkflowDuration = DefaultWorkflowDuration
	}
	if o.RateLimit <= 0 {
		o.RateLimit = 1000
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	return o
}

// Close stops the server, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// URL is the GraphQL endpoint, e.g. "http://127.0.0.1:41234/graphql/v2".
func (s *Server) URL() string { return s.srv.URL + Path }

// SchemaLoaded reports whether requests are validated against Railway's schema.
func (s *Server) SchemaLoaded() bool { return s.schema != nil }

// OnTemplateDeploy sets a hook called (outside the lock) for each service a
// templateDeployV2 creates; the variables it returns override the service's
// raw variables. This is how a test or the demo binds the new Redis service
// to a real redis-server (REDISHOST, REDISPORT, REDIS_PASSWORD).
func (s *Server) OnTemplateDeploy(fn func(serviceName string) map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onTmpl = fn
}

// OnDeploy sets a hook called synchronously, outside the lock, whenever a
// deployment is created (by a mutation, a template, or Deploy).
func (s *Server) OnDeploy(fn func(DeployEvent)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDeploy = fn
}

// AddToken registers a token. A BearerToken with projectID "" reaches every
// project and answers `me` (an account token); with a projectID it is a
// workspace token reaching only that project (`me` refused). A
// ProjectToken reaches only environmentID of projectID, and cannot deploy
// templates (see Options.ProjectTokensCanCreate).
func (s *Server) AddToken(tok string, kind TokenKind, projectID, environmentID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.tokens[tok] = token{kind: kind, projectID: projectID, envID: environmentID, workspace: kind == BearerToken && projectID != ""}
}

// AddWorkspaceToken registers a workspace token: Bearer, reaching every
// project (all are in the one simulated workspace); apiToken lists the
// workspace, `me` answers "Not Authorized".
func (s *Server) AddWorkspaceToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m.tokens[tok] = token{kind: BearerToken, workspace: true}
}

// fire calls the OnDeploy hook for each event, outside the lock.
func (s *Server) fire(events []DeployEvent) {
	s.mu.Lock()
	hook := s.onDeploy
	s.mu.Unlock()
	if hook == nil {
		return
	}
	for _, ev := range events {
		hook(ev)
	}
}

func (s *Server) now() time.Time { return s.opts.Now() }
