package state

// The reconciler's shared vocabulary: the event types it records and the
// reasons its conditions carry. reconcile sets them; report, the metrics
// and the status page read them. Values are part of the status document
// and the reports, so they never change once released.

// Event types recorded by the health state machine.
const (
	// EventDegraded: the first unhealthy round while bound.
	EventDegraded = "Degraded"
	// EventRecovered: a healthy round after unhealthy ones, while bound.
	EventRecovered = "Recovered"
	// EventRolledBack: failureThreshold unhealthy rounds; the rollback
	// variables are written and every consumer deployed.
	EventRolledBack = "RolledBack"
	// EventHeld: a rollback that holds (the flap guard, or a person's
	// `reconciler rollback`); only `reconciler rollforward` leaves it.
	EventHeld = "Held"
	// EventRecovering: the first healthy round while rolled back.
	EventRecovering = "Recovering"
	// EventRecoveryInterrupted: an unhealthy round while recovering.
	EventRecoveryInterrupted = "RecoveryInterrupted"
	// EventRolledForward: the declared variables are restored.
	EventRolledForward = "RolledForward"
	// EventBound: the consumers carry the declared variables for the first
	// time.
	EventBound = "Bound"
)

// Event types recorded by reconcile passes.
const (
	// EventAddonCreating: a template deployment of the addon was sent.
	EventAddonCreating = "AddonCreating"
	// EventAddonCreated: the service of a creation appeared and was adopted.
	EventAddonCreated = "AddonCreated"
	// EventAddonAdopted: an existing service was taken for the addon.
	EventAddonAdopted = "AddonAdopted"
	// EventAddonCreateFailed: a creation failed or never showed its service.
	EventAddonCreateFailed = "AddonCreateFailed"
	// EventAddonCreateAmbiguous: a creation request failed after it may
	// have reached Railway; nothing is created again until a new service
	// appears or the grace period passes.
	EventAddonCreateAmbiguous = "AddonCreateAmbiguous"
	// EventAddonCreateRetry: the grace period passed with no new service;
	// the creation is sent once more.
	EventAddonCreateRetry = "AddonCreateRetry"
	// EventAddonMissing: the adopted addon is gone from the environment.
	EventAddonMissing = "AddonMissing"
	// EventVariablesSet: a write that binds the consumers or carries out a
	// rollback or roll forward.
	EventVariablesSet = "VariablesSet"
	// EventVariablesCorrected: a write that undoes drift (someone changed a
	// declared variable).
	EventVariablesCorrected = "VariablesCorrected"
	// EventDeploying: a deploy of a consumer was started.
	EventDeploying = "Deploying"
	// EventDeployed: a deploy the operator started succeeded.
	EventDeployed = "Deployed"
	// EventDeployFailed: a deploy the operator started failed.
	EventDeployFailed = "DeployFailed"
	// EventObservationFailed: reading Railway failed (phase Unknown).
	EventObservationFailed = "ObservationFailed"
	// EventObservationOK: reading Railway works again.
	EventObservationOK = "ObservationRecovered"
)

// WarnEvent reports whether events of type t are logged at warn (someone
// may have to look) rather than info.
func WarnEvent(t string) bool {
	switch t {
	case EventDegraded, EventRolledBack, EventHeld, EventRecoveryInterrupted, EventDeployFailed,
		EventAddonCreateFailed, EventAddonCreateAmbiguous, EventAddonCreateRetry, EventAddonMissing, EventObservationFailed:
		return true
	}
	return false
}

// Reasons of the Ready condition when a pass fails.
const (
	// ReasonEnvironmentNotFound: the spec's environment is not in the project.
	ReasonEnvironmentNotFound = "EnvironmentNotFound"
	// ReasonUnauthorized: Railway refused the token.
	ReasonUnauthorized = "Unauthorized"
	// ReasonRailwayError: Railway answered an error retrying cannot fix.
	ReasonRailwayError = "RailwayError"
	// ReasonTransientError: a failure that is retried (network, 5xx, 429).
	ReasonTransientError = "TransientError"
	// ReasonEdgeBlocked: Cloudflare's edge in front of Railway blocks this
	// client (HTTP 429, error code 1015): one attempt per backoff interval.
	ReasonEdgeBlocked = "EdgeBlocked"
	// ReasonBudgetReserved: the last 10% of Railway's rate limit is kept for
	// rollbacks and deploys until it resets.
	ReasonBudgetReserved = "BudgetReserved"
	// ReasonBlocked: something no action of the operator can fix.
	ReasonBlocked = "Blocked"
	// ReasonSpecInvalid: the unit's spec file does not load (a fleet shows
	// it while the other units go on).
	ReasonSpecInvalid = "SpecInvalid"
	// ReasonReconciled: in sync and healthy.
	ReasonReconciled = "Reconciled"
)

// Reasons of the AddonReady condition.
const (
	ReasonFound        = "Found"        // the addon is up (its deployment SUCCESS)
	ReasonNameConflict = "NameConflict" // a service has the addon's name but another image
	ReasonCreating     = "Creating"     // a template deployment is in progress
	ReasonNotFound     = "NotFound"     // no addon in the environment
	ReasonNotDeployed  = "NotDeployed"  // the addon has no deployment yet
	ReasonDeploying    = "Deploying"    // the addon's deployment is in progress
	ReasonDeployFailed = "DeployFailed" // the addon's (or a consumer's) deployment failed
)

// Reasons of the VariablesInSync condition.
const (
	ReasonInSync            = "InSync"            // every consumer carries its variables
	ReasonDrift             = "Drift"             // a declared variable differs
	ReasonObservationFailed = "ObservationFailed" // Railway could not be read
)

// Reasons of the addon-health condition (RedisHealthy).
const (
	ReasonProbesPassing = "ProbesPassing" // the last round was healthy
	ReasonProbeFailed   = "ProbeFailed"   // the last round was unhealthy
	ReasonInconclusive  = "Inconclusive"  // the addon could not be probed from here
)

// Reasons of the ConsumersHealthy condition.
const (
	ReasonHealthy        = "Healthy"        // every endpoint answers as expected
	ReasonEndpointFailed = "EndpointFailed" // an endpoint is unreachable or answers another status
	ReasonLogMissing     = "LogMissing"     // an expected log line did not appear in time
)

// Reasons of the RolledBack condition.
const (
	ReasonNotRolledBack = "NotRolledBack" // the declared variables are in effect
	ReasonAutomatic     = "Automatic"     // rolled back by the health machine
	ReasonHeld          = "Held"          // held: the flap guard or a person
)
