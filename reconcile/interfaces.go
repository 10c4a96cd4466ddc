package reconcile

import (
	"context"

	"github.com/smartlic/reconciler/probes"
	"github.com/smartlic/reconciler/railway"
	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// Railway is the part of Railway's API the reconciler uses; *railway.Client
// implements it. There is no delete and no rollback here, on purpose.
type Railway interface {
	Project(ctx context.Context, projectID string) (*railway.Project, error)
	Observe(ctx context.Context, projectID, environmentID string, serviceIDs []string) (*railway.Observation, error)
	RenderedVariables(ctx context.Context, projectID, environmentID, serviceID string) (map[string]spec.Secret, error)
	Template(ctx context.Context, code string) (*railway.Template, error)
	DeployTemplate(ctx context.Context, in railway.TemplateDeploy) (string, error)
	WorkflowStatus(ctx context.Context, workflowID string) (railway.WorkflowResult, error)
	UpsertVariables(ctx context.Context, projectID, environmentID, serviceID string, vars map[string]string) error
	DeployService(ctx context.Context, environmentID, serviceID string) (string, error)
}

var _ Railway = (*railway.Client)(nil)

// Prober runs probe rounds; *probes.Prober implements it.
type Prober interface {
	Round(ctx context.Context, cfg probes.RoundConfig) probes.Round
}

// LogChecker checks a consumer's logs after a deploy; *probes.LogProbe
// implements it.
type LogChecker interface {
	Check(ctx context.Context, exp spec.LogExpectation, dep railway.Deployment) probes.Check
}

// Store persists the state; state.Leased (a Backend with the unit's Lease)
// implements it. A nil Store (plan, dry runs) writes nothing. Save fails
// with state.ErrFenced once the lease is lost: the reconciler then stops
// writing anything.
type Store interface {
	Save(ctx context.Context, st *state.State) error
}

// Hooks let the controller observe the reconciler (metrics, notifications)
// without the reconciler knowing about either. Every field may be nil. They
// are called synchronously, with the reconciler's lock held: keep them fast.
type Hooks struct {
	// Event is called once per recorded event.
	Event func(e state.Event)
	// Phase is called when the phase changes.
	Phase func(from, to state.Phase, reason string)
	// Round is called after each probe round.
	Round func(r probes.Round)
	// Pass is called after each pass with its result ("ok", "drift",
	// "error", "waiting") and the number of drift items.
	Pass func(result string, drift int)
}
