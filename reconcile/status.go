package reconcile

import (
	"time"

	"github.com/smartlic/reconciler/state"
)

// Status is the status document of CONTRACT section 7, served on /status
// and printed by `status --output json`. It holds no secret.
type Status struct {
	Name       string            `json:"name"`
	Phase      state.Phase       `json:"phase"`
	Since      time.Time         `json:"since"`
	SpecValid  bool              `json:"specValid"`
	SpecErrors []string          `json:"specErrors,omitempty"`
	Conditions []state.Condition `json:"conditions"`
	Drift      []state.DriftItem `json:"drift"`
	Blocked    []string          `json:"blocked,omitempty"`
	LastProbe  *state.Probe      `json:"lastProbe"`
	Events     []state.Event     `json:"events"`
	// Mode is the health machine's mode (Unbound, Bound, RolledBack, Held).
	Mode       state.Mode     `json:"mode"`
	HoldReason string         `json:"holdReason,omitempty"`
	Addon      AddonStatus    `json:"addon"`
	Railway    RailwayStatus  `json:"railway"`
	Deploys    []DeployStatus `json:"deploys,omitempty"`
	// Leader identifies the replica holding the unit's lease, and
	// LeaseExpires when its lease runs out unless renewed (zero for the
	// file store's lock, which lasts as long as its process).
	Leader       string    `json:"leader,omitempty"`
	LeaseExpires time.Time `json:"leaseExpires,omitzero"`
	// ReconcileInterval is the effective reconcile interval when a fleet's
	// Railway budget stretched schedule.reconcile ("" otherwise).
	ReconcileInterval string `json:"reconcileInterval,omitempty"`
}

// AddonStatus is the addon part of Status.
type AddonStatus struct {
	ServiceID  string `json:"serviceId,omitempty"`
	WorkflowID string `json:"workflowId,omitempty"`
}

// RailwayStatus is the Railway part of Status.
type RailwayStatus struct {
	ProjectID          string    `json:"projectId,omitempty"`
	EnvironmentID      string    `json:"environmentId,omitempty"`
	LastObservation    time.Time `json:"lastObservation,omitzero"`
	ObservationOK      bool      `json:"observationOk"`
	ObservationError   string    `json:"observationError,omitempty"`
	Requests           int64     `json:"requests"`
	RateLimitRemaining int       `json:"rateLimitRemaining"`
}

// DeployStatus is a deploy the operator started or owes.
type DeployStatus struct {
	Service      string `json:"service"`
	DeploymentID string `json:"deploymentId,omitempty"`
	Status       string `json:"status,omitempty"`
	Reason       string `json:"reason"`
}

// maxStatusEvents bounds the events shown in the status document.
const maxStatusEvents = 50

// StatusOf builds the status document from a state (the file alone is
// enough: `status` needs no Railway access). SpecValid is true; the
// controller overrides it after a rejected reload.
func StatusOf(st *state.State) Status {
	s := Status{
		Name: st.Name, Phase: st.Phase, Since: st.Since, SpecValid: true,
		Conditions: nonNil(st.Conds), Drift: nonNil(st.Drift), Blocked: st.Blocked, LastProbe: st.LastProbe,
		Mode: st.Health.Mode, HoldReason: st.Health.HoldReason,
		Addon: AddonStatus{ServiceID: st.Addon.ServiceID, WorkflowID: st.Addon.WorkflowID},
		Railway: RailwayStatus{ProjectID: st.Railway.ProjectID, EnvironmentID: st.Railway.EnvironmentID,
			LastObservation: st.Observed.At, ObservationOK: st.Observed.OK, ObservationError: st.Observed.Error,
			Requests: st.Observed.Requests, RateLimitRemaining: st.Observed.RateLimitRemaining},
	}
	evs := st.Events
	if len(evs) > maxStatusEvents {
		evs = evs[len(evs)-maxStatusEvents:]
	}
	s.Events = nonNil(evs)
	for _, svc := range st.DeployServices() {
		d := st.DeployFor(svc)
		s.Deploys = append(s.Deploys, DeployStatus{Service: svc, DeploymentID: d.DeploymentID, Status: d.Status, Reason: d.Reason})
	}
	return s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
