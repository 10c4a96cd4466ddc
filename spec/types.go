package spec

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Version is the only spec version this build understands.
const Version = 1

// Defaults, exactly as CONTRACT section 4 lists them.
const (
	DefaultEndpoint           = "https://backboard.railway.com/graphql/v2"
	DefaultMaxRequestsPerHour = 500
	DefaultTemplate           = "redis"
	DefaultProbeTimeout       = time.Second
	DefaultMaxLatency         = 100 * time.Millisecond
	DefaultEndpointStatus     = 200
	DefaultLogWithin          = 5 * time.Minute
	DefaultFailureThreshold   = 3
	DefaultRecoveryThreshold  = 12
	DefaultMinRolledBack      = 5 * time.Minute
	DefaultMaxRollbacks       = 3
	DefaultRollbackWindow     = time.Hour
	DefaultReconcileSchedule  = "@every 1m"
	DefaultProbeSchedule      = "@every 5s"
	DefaultReportSchedule     = "0 9 * * *"
	DefaultReportFormat       = "markdown"
	DefaultStatePath          = ".reconciler/state.json"
	DefaultStateBackend       = StateBackendFile
	// DefaultCreateGrace is how long, after an addon creation whose outcome
	// is unknown (a timeout, a 5xx), the reconciler waits for the service to
	// appear before it creates again; MinCreateGrace is the least allowed.
	DefaultCreateGrace = 15 * time.Minute
	MinCreateGrace     = time.Minute
	// The PostgreSQL backend's leader election timings: controller-runtime's
	// defaults (lease 15s, renew deadline 10s, retry 2s).
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// State backends (state.backend).
const (
	// StateBackendFile keeps the state in a file (state.path): one replica.
	StateBackendFile = "file"
	// StateBackendPostgres keeps the state, and the leader lease, in
	// PostgreSQL (state.postgres.url): several replicas, one acting.
	StateBackendPostgres = "postgres"
)

// Spec is a parsed, defaulted and validated desired state (CONTRACT section 4).
// A *Spec returned by Load or Parse is complete: every default is applied and
// every cross-field rule holds. Treat it as read-only; it is shared between
// goroutines of the controller.
type Spec struct {
	Version   int        `json:"version" yaml:"version"`
	Name      string     `json:"name" yaml:"name"`
	Railway   Railway    `json:"railway" yaml:"railway"`
	Addon     Addon      `json:"addon" yaml:"addon"`
	Consumers []Consumer `json:"consumers" yaml:"consumers"`
	Health    Health     `json:"health" yaml:"health"`
	Rollback  Rollback   `json:"rollback" yaml:"rollback"`
	Schedule  Schedule   `json:"schedule" yaml:"schedule"`
	Report    Report     `json:"report" yaml:"report"`
	State     State      `json:"state" yaml:"state"`
	Server    Server     `json:"server" yaml:"server"`

	// File is the path the spec was read from ("" when parsed from memory).
	File string `json:"-" yaml:"-"`
	// Hash identifies this exact desired state (a hex digest of the
	// interpolated document); it changes whenever the effective spec does.
	Hash string `json:"-" yaml:"-"`
}

// Railway is where the project lives and how hard the operator may call the
// API. Exactly one of Environment, Environments and EnvironmentPattern is
// set: a spec manages one environment, or (the fleet's environment
// generator) every listed one or every one whose name matches the pattern.
type Railway struct {
	Endpoint    string `json:"endpoint" yaml:"endpoint"`
	ProjectID   string `json:"projectId" yaml:"projectId"`
	Environment string `json:"environment,omitempty" yaml:"environment,omitempty"`
	// Environments are environment names, unique, in spec order.
	Environments []string `json:"environments,omitempty" yaml:"environments,omitempty"`
	// EnvironmentPattern is a path.Match glob ("pr-*") matched against the
	// project's environment names.
	EnvironmentPattern string `json:"environmentPattern,omitempty" yaml:"environmentPattern,omitempty"`
	MaxRequestsPerHour int    `json:"maxRequestsPerHour" yaml:"maxRequestsPerHour"`
}

// Addon is the Redis database service that must exist.
type Addon struct {
	Service  string `json:"service" yaml:"service"`
	Template string `json:"template" yaml:"template"`
	Create   bool   `json:"create" yaml:"create"`
	// CreateGrace is how long to wait, after an addon creation whose
	// outcome is unknown, for the created service to appear before creating
	// again (at least MinCreateGrace).
	CreateGrace time.Duration `json:"createGrace" yaml:"createGrace"`
}

// Consumer is a service that must carry the declared variables.
type Consumer struct {
	Service string `json:"service" yaml:"service"`
	// Variables are written verbatim; keys are unique. Use SortedNames for a
	// stable order.
	Variables map[string]string `json:"variables" yaml:"variables"`
	Deploy    bool              `json:"deploy" yaml:"deploy"`
}

// Health is the expected health of Redis and of its consumers.
type Health struct {
	ProbeTimeout time.Duration    `json:"probeTimeout" yaml:"probeTimeout"`
	Redis        RedisHealth      `json:"redis" yaml:"redis"`
	Endpoints    []Endpoint       `json:"endpoints,omitempty" yaml:"endpoints,omitempty"`
	Logs         []LogExpectation `json:"logs,omitempty" yaml:"logs,omitempty"`
}

// RedisHealth configures the direct probe of the addon.
type RedisHealth struct {
	// URL is the Redis URL to probe; empty means "the addon's rendered
	// REDIS_URL read from Railway". Always a secret: it carries the password.
	URL        Secret        `json:"url" yaml:"url"`
	MaxLatency time.Duration `json:"maxLatency" yaml:"maxLatency"`
	// MaxMemory is a bound on used_memory in bytes; 0 means no bound.
	MaxMemory  Size   `json:"maxMemory" yaml:"maxMemory"`
	PubSub     bool   `json:"pubsub" yaml:"pubsub"`
	ExpectKeys string `json:"expectKeys" yaml:"expectKeys"`
}

// Endpoint is a consumer's own health report, fetched with GET.
type Endpoint struct {
	Name   string        `json:"name" yaml:"name"`
	URL    string        `json:"url" yaml:"url"`
	Status int           `json:"status" yaml:"status"`
	Expect []Expectation `json:"expect,omitempty" yaml:"expect,omitempty"`
}

// Expectation is one JSON field check on an endpoint's body. Field is a dot
// path ("redis.latency_ms"). Exactly one of the operators is set.
type Expectation struct {
	Field string `json:"field" yaml:"field"`
	// Equals holds a string, float64 or bool when set.
	Equals      any      `json:"equals,omitempty" yaml:"equals,omitempty"`
	LessThan    *float64 `json:"lessThan,omitempty" yaml:"lessThan,omitempty"`
	GreaterThan *float64 `json:"greaterThan,omitempty" yaml:"greaterThan,omitempty"`
	Exists      *bool    `json:"exists,omitempty" yaml:"exists,omitempty"`
}

// LogExpectation is a line a consumer must log after each deploy.
type LogExpectation struct {
	Service  string        `json:"service" yaml:"service"`
	Contains string        `json:"contains" yaml:"contains"`
	Within   time.Duration `json:"within" yaml:"within"`
}

// Rollback is the automatic rollback procedure and its guards.
type Rollback struct {
	Enabled           bool          `json:"enabled" yaml:"enabled"`
	FailureThreshold  int           `json:"failureThreshold" yaml:"failureThreshold"`
	RecoveryThreshold int           `json:"recoveryThreshold" yaml:"recoveryThreshold"`
	MinRolledBack     time.Duration `json:"minRolledBack" yaml:"minRolledBack"`
	MaxRollbacks      int           `json:"maxRollbacks" yaml:"maxRollbacks"`
	RollbackWindow    time.Duration `json:"rollbackWindow" yaml:"rollbackWindow"`
	// Variables are the values written on rollback. When the spec leaves it
	// out it holds every consumer variable name set to ""; when the spec
	// writes it, exactly those (each a variable of some consumer).
	Variables map[string]string `json:"variables" yaml:"variables"`
}

// Schedule holds the three cron schedules of the controller.
type Schedule struct {
	Reconcile Cron `json:"reconcile" yaml:"reconcile"`
	Probe     Cron `json:"probe" yaml:"probe"`
	Report    Cron `json:"report" yaml:"report"`
}

// Cron is a parsed cron expression (five fields or a descriptor).
type Cron struct {
	// Expr is the expression as written ("@every 5s", "0 9 * * *").
	Expr string
	// Schedule is the parsed schedule (robfig/cron).
	Schedule cron.Schedule
	// Every is the fixed interval of an "@every" expression, else 0.
	Every time.Duration
}

// Report configures drift reports and notifications.
type Report struct {
	Format string `json:"format" yaml:"format"`
	Sinks  []Sink `json:"sinks" yaml:"sinks"`
}

// SinkKind names a report destination.
type SinkKind string

// Sink kinds.
const (
	SinkStdout  SinkKind = "stdout"
	SinkFile    SinkKind = "file"
	SinkWebhook SinkKind = "webhook"
)

// Sink is one report destination. Dir is set for file sinks, URL for webhooks.
type Sink struct {
	Kind SinkKind `json:"kind" yaml:"kind"`
	Dir  string   `json:"dir,omitempty" yaml:"dir,omitempty"`
	URL  Secret   `json:"url,omitempty" yaml:"url,omitempty"`
}

// State says where the state is kept: a file (the default) or PostgreSQL.
type State struct {
	// Backend is StateBackendFile or StateBackendPostgres.
	Backend string `json:"backend" yaml:"backend"`
	// Path is the state file (file backend). Load makes a relative path
	// absolute against the spec file's directory.
	Path     string   `json:"path" yaml:"path"`
	Postgres Postgres `json:"postgres" yaml:"postgres"`
}

// Postgres configures the PostgreSQL backend: the shared state and the
// leader lease (leaseDuration > renewDeadline > retryPeriod > 0).
type Postgres struct {
	// URL is a postgres:// or postgresql:// URL; set (and required) only
	// with the postgres backend. Always a secret: it carries the password.
	URL           Secret        `json:"url" yaml:"url"`
	LeaseDuration time.Duration `json:"leaseDuration" yaml:"leaseDuration"`
	RenewDeadline time.Duration `json:"renewDeadline" yaml:"renewDeadline"`
	RetryPeriod   time.Duration `json:"retryPeriod" yaml:"retryPeriod"`
}

// Server configures the HTTP listener of `run`.
type Server struct {
	Listen string `json:"listen" yaml:"listen"`
	Auth   Auth   `json:"auth" yaml:"auth"`
}

// Auth protects the status page, /status and /metrics.
type Auth struct {
	// Token, when set, is required as "Authorization: Bearer TOKEN" (or the
	// login cookie). It always comes from the environment (${NAME}).
	Token Secret `json:"token" yaml:"token"`
}

// Size is a number of bytes, written as "256MiB", "1GiB", "512MB" or "1024".
type Size int64
