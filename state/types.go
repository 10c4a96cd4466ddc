package state

import "time"

// SchemaVersion is the version of the JSON document written by this build.
const SchemaVersion = 1

// MaxEvents is how many recent events the state keeps.
const MaxEvents = 200

// Phase is the reconciler's phase (CONTRACT section 5, exactly these names).
type Phase string

// Phases.
const (
	Pending      Phase = "Pending"
	Provisioning Phase = "Provisioning"
	Healthy      Phase = "Healthy"
	Degraded     Phase = "Degraded"
	RolledBack   Phase = "RolledBack"
	Recovering   Phase = "Recovering"
	Held         Phase = "Held"
	Unknown      Phase = "Unknown"
)

// Phases lists every phase, in the contract's order.
var Phases = []Phase{Pending, Provisioning, Healthy, Degraded, RolledBack, Recovering, Held, Unknown}

// Mode is where the health state machine stands with respect to the
// consumers' variables; the displayed Phase is derived from it.
type Mode string

// Modes.
const (
	// Unbound: the consumers do not carry the declared variables yet; they
	// are bound once the addon is up and one probe round is healthy.
	Unbound Mode = "Unbound"
	// Bound: the consumers carry the declared variables.
	Bound Mode = "Bound"
	// ModeRolledBack: the rollback variables are applied; rolling forward is
	// allowed once Redis has recovered.
	ModeRolledBack Mode = "RolledBack"
	// ModeHeld: rolled back, and only a person's `rollforward` leaves it.
	ModeHeld Mode = "Held"
)

// State is the persisted document. The zero value is not valid: use New.
type State struct {
	Version int       `json:"version"`
	Name    string    `json:"name"`
	Phase   Phase     `json:"phase"`
	Since   time.Time `json:"since"`
	// SpecHash identifies the spec the state was last reconciled against.
	SpecHash string `json:"specHash,omitempty"`

	Health  Health             `json:"health"`
	Railway Resolved           `json:"railway"`
	Addon   Addon              `json:"addon"`
	Deploys map[string]*Deploy `json:"deploys,omitempty"`
	// Owed lists the consumers whose variable writes for the last rollback
	// or roll forward have not reached Railway yet.
	Owed     []string            `json:"owed,omitempty"`
	Conds    []Condition         `json:"conditions"`
	Events   []Event             `json:"events"`
	Report   ReportBook          `json:"report"`
	Summary  HealthSummary       `json:"summary"`
	Observed ObservationBookmark `json:"observed"`
	// Drift, Blocked and LastProbe are the outcome of the last pass and
	// round, so that `status` can show them from the file alone.
	Drift     []DriftItem `json:"drift"`
	Blocked   []string    `json:"blocked,omitempty"`
	LastProbe *Probe      `json:"lastProbe,omitempty"`
}

// DriftItem is one difference between the spec and Railway (CONTRACT
// section 7). Values are masked (spec.MaskValue) before they get here.
type DriftItem struct {
	Kind    string `json:"kind"`
	Service string `json:"service,omitempty"`
	Name    string `json:"name,omitempty"`
	Desired string `json:"desired"`
	Actual  string `json:"actual"`
	Message string `json:"message,omitempty"`
}

// Probe summarises one probe round for the status document.
type Probe struct {
	At      time.Time    `json:"at"`
	Healthy bool         `json:"healthy"`
	Verdict string       `json:"verdict"`
	Reason  string       `json:"reason,omitempty"`
	Checks  []ProbeCheck `json:"checks"`
}

// ProbeCheck is one check of a probe round.
type ProbeCheck struct {
	Name      string  `json:"name"`
	OK        bool    `json:"ok"`
	LatencyMs float64 `json:"latencyMs"`
	Message   string  `json:"message"`
	Step      string  `json:"step,omitempty"`
}

// Health is the health state machine's own state.
type Health struct {
	Mode Mode `json:"mode"`
	// Unhealthy and Healthy count consecutive conclusive rounds.
	Unhealthy int `json:"unhealthy"`
	Healthy   int `json:"healthy"`
	// HealthySince is when the current healthy streak began.
	HealthySince time.Time `json:"healthySince,omitzero"`
	// LastRound is the verdict of the last conclusive round ("" before any).
	LastRound string `json:"lastRound,omitempty"`
	// LastReason is the Redis-side reason of the last unhealthy round.
	LastReason string `json:"lastReason,omitempty"`

	RolledBackAt time.Time `json:"rolledBackAt,omitzero"`
	// Rollbacks are the times of automatic rollbacks inside the window.
	Rollbacks []time.Time `json:"rollbacks,omitempty"`
	// MinRolledBack is the least time to stay rolled back for the current
	// attempt: the spec's value, tripled after each failed roll forward.
	MinRolledBack time.Duration `json:"minRolledBack"`
	// RolledForwardAt is the time of the last roll forward.
	RolledForwardAt time.Time `json:"rolledForwardAt,omitzero"`
	// Unproven is true from a roll forward until the next healthy round: a
	// rollback while it is true is a failed roll forward.
	Unproven bool `json:"unproven,omitempty"`
	// Decision is the reason of the last rollback or roll forward.
	Decision string `json:"decision,omitempty"`
	// HoldReason says why the phase is Held.
	HoldReason string `json:"holdReason,omitempty"`
}

// Resolved caches the Railway ids the spec's names resolve to, so that a
// rollback can be written while Railway observations fail.
type Resolved struct {
	ProjectID string `json:"projectId,omitempty"`
	// Environment is the spec's environment (name or id) that EnvironmentID
	// was resolved from.
	Environment   string            `json:"environment,omitempty"`
	EnvironmentID string            `json:"environmentId,omitempty"`
	Services      map[string]string `json:"services,omitempty"`
}

// Addon is the bookkeeping of the Redis service.
type Addon struct {
	ServiceID string `json:"serviceId,omitempty"`
	// WorkflowID is an in-flight template deployment; a pass resumes it
	// instead of creating the addon again.
	WorkflowID      string    `json:"workflowId,omitempty"`
	WorkflowStarted time.Time `json:"workflowStarted,omitzero"`
	// Creation is a creation sent (or about to be) whose service has not
	// been found yet: it is recorded before the request leaves, so that an
	// answer lost after Railway did the work never leads to a second addon.
	Creation *Creation `json:"creation,omitempty"`
	// LastCreateFailed is when Railway said a creation failed (its workflow
	// ended in Error, or it refused the request), and CreateError what it
	// said; a new creation waits (see reconcile).
	LastCreateFailed time.Time `json:"lastCreateFailed,omitzero"`
	CreateError      string    `json:"createError,omitempty"`
	// CreateRefused is set when Railway refused the request itself (the
	// token may not create services): the creation then waits an hour.
	CreateRefused bool `json:"createRefused,omitempty"`
}

// Creation is the intent of an addon creation.
type Creation struct {
	// At is when the intent was recorded, just before the request left.
	At time.Time `json:"at"`
	// Before lists the ids of the environment's services at that time: the
	// new service is the one whose id is not among them.
	Before []string `json:"before"`
	// Attempts counts the creations sent for this intent: 1, then 2 after
	// the grace period passed with no new service.
	Attempts int `json:"attempts"`
	// Ambiguous is the error of a request whose outcome is unknown (a
	// timeout, a 5xx or a dropped connection after it was sent); "" when
	// Railway answered.
	Ambiguous string `json:"ambiguous,omitempty"`
}

// Deploy tracks a deploy the operator owes or started for one consumer.
type Deploy struct {
	ServiceID string `json:"serviceId"`
	Reason    string `json:"reason"`
	// Intent is when the variables were about to be written; the deploy is
	// owed from then on, even if the process dies before starting it.
	Intent time.Time `json:"intent"`
	// PrevDeploymentID is the consumer's latest deployment at Intent: a
	// different latest deployment means the deploy has happened.
	PrevDeploymentID string    `json:"prevDeploymentId,omitempty"`
	DeploymentID     string    `json:"deploymentId,omitempty"`
	Status           string    `json:"status,omitempty"`
	StartedAt        time.Time `json:"startedAt,omitzero"`
}

// Condition is a Kubernetes-shaped status condition.
type Condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	Reason             string    `json:"reason"`
	Message            string    `json:"message"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
}

// Event is one thing that happened, kept in the state's recent history.
type Event struct {
	At      time.Time `json:"at"`
	Type    string    `json:"type"`
	Message string    `json:"message"`
}

// ReportBook is the bookkeeping of drift reports.
type ReportBook struct {
	LastAt time.Time `json:"lastAt,omitzero"`
	// RequestsAtLast is the Railway request counter when the last report
	// was written.
	RequestsAtLast int64 `json:"requestsAtLast,omitempty"`
}

// ObservationBookmark records the outcome of the last Railway observation.
type ObservationBookmark struct {
	At    time.Time `json:"at,omitzero"`
	OK    bool      `json:"ok"`
	Error string    `json:"error,omitempty"`
	// Requests counts every Railway request made on behalf of this state.
	Requests int64 `json:"requests"`
	// RateLimitRemaining is Railway's last X-RateLimit-Remaining, -1 unknown.
	RateLimitRemaining int `json:"rateLimitRemaining"`
}
