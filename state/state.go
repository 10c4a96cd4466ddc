package state

import (
	"encoding/json"
	"maps"
	"slices"
	"time"
)

// New returns the state of a reconciler that has observed nothing yet.
func New(name string, now time.Time) *State {
	return &State{
		Version:  SchemaVersion,
		Name:     name,
		Phase:    Pending,
		Since:    now.UTC(),
		Health:   Health{Mode: Unbound},
		Observed: ObservationBookmark{RateLimitRemaining: -1},
		Summary:  HealthSummary{Since: now.UTC()},
	}
}

// Clone returns a deep copy, so that observed or persisted state is never
// modified in place by a plan.
func (s *State) Clone() *State {
	b, err := json.Marshal(s)
	if err != nil {
		// A State holds only JSON-safe fields; this cannot happen.
		panic("state: clone: " + err.Error())
	}
	var c State
	if err := json.Unmarshal(b, &c); err != nil {
		panic("state: clone: " + err.Error())
	}
	return &c
}

// DeployFor returns the deploy tracked for service, or nil.
func (s *State) DeployFor(service string) *Deploy {
	return s.Deploys[service]
}

// TrackDeploy records a deploy owed to service.
func (s *State) TrackDeploy(service string, d *Deploy) {
	if s.Deploys == nil {
		s.Deploys = map[string]*Deploy{}
	}
	s.Deploys[service] = d
}

// DoneDeploy forgets the deploy tracked for service.
func (s *State) DoneDeploy(service string) { delete(s.Deploys, service) }

// DeployServices returns the services with a tracked deploy, sorted.
func (s *State) DeployServices() []string {
	return slices.Sorted(maps.Keys(s.Deploys))
}

// ServiceID returns the cached id of a service name.
func (r *Resolved) ServiceID(name string) string { return r.Services[name] }
