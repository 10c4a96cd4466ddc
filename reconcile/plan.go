package reconcile

import (
	"fmt"
	"io"
	"strings"

	"github.com/smartlic/reconciler/spec"
	"github.com/smartlic/reconciler/state"
)

// ActionKind names a step the reconciler can take.
type ActionKind string

// Action kinds, in the order a pass carries them out.
const (
	// ActRollback and ActRollForward head the variable writes and deploys
	// that carry out the machine's decision; they make no call themselves.
	ActRollback    ActionKind = "rollback"
	ActRollForward ActionKind = "rollforward"
	// ActCreateAddon creates the Redis service from its template.
	ActCreateAddon ActionKind = "create-addon"
	// ActSetVariables writes the changed variables of one consumer, without
	// an automatic deploy.
	ActSetVariables ActionKind = "set-variables"
	// ActDeploy deploys one consumer (once per change).
	ActDeploy ActionKind = "deploy"
)

// writes reports whether actions of kind k write to Railway (the rollback
// and roll forward headers do not: the writes follow them).
func (k ActionKind) writes() bool {
	return k == ActCreateAddon || k == ActSetVariables || k == ActDeploy
}

// Action is one pending step with the reason it is needed.
type Action struct {
	Kind      ActionKind `json:"kind"`
	Service   string     `json:"service,omitempty"`
	ServiceID string     `json:"serviceId,omitempty"`
	// Set holds the variables to write (name → value), Changes the same
	// writes described for a person, with masked values.
	Set     map[string]string `json:"-"`
	Changes []Change          `json:"changes,omitempty"`
	Reason  string            `json:"reason"`
	// Correction marks a write that undoes drift, as opposed to one that
	// binds the consumers or carries out a rollback or roll forward.
	Correction bool `json:"correction,omitempty"`
	// DependsOn names what must happen first (the addon up and one healthy
	// round, for a binding): the action is shown, so that a plan shows the
	// whole path, but carried out by a later pass, once it holds.
	DependsOn string `json:"dependsOn,omitempty"`
}

// Change describes one variable write. From and To are masked
// (spec.MaskValue); FromSet is false when the variable did not exist.
type Change struct {
	Name    string `json:"name"`
	From    string `json:"from"`
	FromSet bool   `json:"fromSet"`
	// Unknown is set when the current value could not be read (Railway
	// unreadable): the write goes out regardless.
	Unknown bool   `json:"unknown,omitempty"`
	To      string `json:"to"`
}

// DriftItem is one difference between the spec and Railway.
type DriftItem = state.DriftItem

// Drift kinds.
const (
	DriftAddon    = "addon"
	DriftVariable = "variable"
	DriftConsumer = "consumer"
	DriftDeploy   = "deploy"
	DriftLog      = "log"
)

// Plan is the outcome of Diff: what a pass would do, and why.
type Plan struct {
	Actions []Action    `json:"actions"`
	Drift   []DriftItem `json:"drift"`
	// Waiting lists things in progress that the pass waits for (an addon
	// being created, a deploy running): not drift, not an action.
	Waiting []string `json:"waiting,omitempty"`
	// Blocked lists problems no action of the operator can fix (a consumer
	// service that does not exist, create: false with no addon).
	Blocked []string `json:"blocked,omitempty"`
	// Satisfied lists the consumers that owed the writes of a rollback or
	// roll forward but already carry them: nothing is owed any more.
	Satisfied []string `json:"-"`
}

// Pending reports whether the plan has actions to carry out now.
func (p *Plan) Pending() bool {
	for _, a := range p.Actions {
		if a.DependsOn == "" {
			return true
		}
	}
	return false
}

// Converged reports whether there is nothing to do and nothing to wait for.
func (p *Plan) Converged() bool { return len(p.Actions) == 0 && len(p.Waiting) == 0 }

// String renders an action the way `plan` prints it.
func (a Action) String() string {
	switch a.Kind {
	case ActSetVariables:
		parts := make([]string, 0, len(a.Changes))
		for _, c := range a.Changes {
			from := "unset"
			switch {
			case c.Unknown:
				from = "unknown"
			case c.FromSet:
				from = fmt.Sprintf("%q", c.From)
			}
			parts = append(parts, fmt.Sprintf("set %s %s: is %s, want %q", a.Service, c.Name, from, c.To))
		}
		return strings.Join(parts, "\n")
	case ActDeploy:
		return fmt.Sprintf("deploy %s: %s", a.Service, a.Reason)
	default:
		return a.Reason
	}
}

// WriteText prints the plan for a person: one line per action, then what
// is waited for and what is blocked. An empty plan prints "no changes".
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, a := range p.Actions {
		indent := ""
		if a.Kind == ActSetVariables || a.Kind == ActDeploy {
			if len(p.Actions) > 0 && (p.Actions[0].Kind == ActRollback || p.Actions[0].Kind == ActRollForward) {
				indent = "  "
			}
		}
		prefix := indent
		if a.DependsOn != "" {
			prefix += "(after: " + a.DependsOn + ") "
		}
		for _, line := range strings.Split(a.String(), "\n") {
			b.WriteString(prefix + line + "\n")
		}
	}
	for _, s := range p.Waiting {
		b.WriteString("waiting: " + s + "\n")
	}
	for _, s := range p.Blocked {
		b.WriteString("blocked: " + s + "\n")
	}
	if b.Len() == 0 {
		b.WriteString("no changes: in sync\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func changesFor(set map[string]string, actual map[string]string) []Change {
	out := make([]Change, 0, len(set))
	for _, name := range sortedKeys(set) {
		from, ok := actual[name]
		out = append(out, Change{Name: name, From: spec.MaskValue(from), FromSet: ok, Unknown: actual == nil,
			To: spec.MaskValue(set[name])})
	}
	return out
}
