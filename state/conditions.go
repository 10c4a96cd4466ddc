package state

import (
	"slices"
	"time"
)

// Condition types (CONTRACT section 7).
const (
	CondReady            = "Ready"
	CondAddonReady       = "AddonReady"
	CondVariablesInSync  = "VariablesInSync"
	CondRedisHealthy     = "RedisHealthy"
	CondConsumersHealthy = "ConsumersHealthy"
	CondRolledBack       = "RolledBack"
)

// ConditionTypes lists every condition type in display order.
var ConditionTypes = []string{CondReady, CondAddonReady, CondVariablesInSync, CondRedisHealthy, CondConsumersHealthy, CondRolledBack}

// Condition statuses.
const (
	True          = "True"
	False         = "False"
	UnknownStatus = "Unknown"
)

// SetCondition records c, stamping LastTransitionTime with now only when the
// condition is new or its status changed (Kubernetes semantics). Conditions
// are kept in ConditionTypes order.
func (s *State) SetCondition(c Condition, now time.Time) {
	now = now.UTC().Truncate(time.Second)
	for i := range s.Conds {
		if s.Conds[i].Type != c.Type {
			continue
		}
		c.LastTransitionTime = s.Conds[i].LastTransitionTime
		if s.Conds[i].Status != c.Status || c.LastTransitionTime.IsZero() {
			c.LastTransitionTime = now
		}
		s.Conds[i] = c
		return
	}
	c.LastTransitionTime = now
	s.Conds = append(s.Conds, c)
	slices.SortStableFunc(s.Conds, func(a, b Condition) int {
		return slices.Index(ConditionTypes, a.Type) - slices.Index(ConditionTypes, b.Type)
	})
}

// Condition returns the condition of type t, if set.
func (s *State) Condition(t string) (Condition, bool) {
	for _, c := range s.Conds {
		if c.Type == t {
			return c, true
		}
	}
	return Condition{}, false
}

// AddEvent appends e, keeping the most recent MaxEvents.
func (s *State) AddEvent(e Event) {
	e.At = e.At.UTC()
	s.Events = append(s.Events, e)
	if over := len(s.Events) - MaxEvents; over > 0 {
		s.Events = slices.Delete(s.Events, 0, over)
	}
}

// EventsSince returns the events recorded strictly after t.
func (s *State) EventsSince(t time.Time) []Event {
	i, _ := slices.BinarySearchFunc(s.Events, t, func(e Event, t time.Time) int {
		if e.At.After(t) {
			return 1
		}
		return -1
	})
	return slices.Clone(s.Events[i:])
}

// SetPhase moves to phase p, stamping Since when it changes, and reports
// whether it changed.
func (s *State) SetPhase(p Phase, now time.Time) bool {
	if s.Phase == p {
		return false
	}
	s.Phase, s.Since = p, now.UTC()
	return true
}
